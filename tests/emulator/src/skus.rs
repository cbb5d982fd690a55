//! The service plans of licenses Microsoft sells, as `subscribedSkus` lists them, for SKUs a
//! snapshot names without their plans. Whether a license brings a mailbox follows from them: a
//! plan of [`tenure::directory::MAILBOX_SERVICE_PLANS`] does; `EXCHANGE_S_FOUNDATION` (in
//! Power BI Pro and others) does not.

use tenure::directory::{ServicePlan, SubscribedSku};

/// (SKU part number, [(service plan id, service plan name)]), from Microsoft's "Product names
/// and service plan identifiers for licensing" (a few of each SKU's plans, the Exchange one
/// always among them).
const CATALOGUE: [(&str, &[(&str, &str)]); 4] = [
    (
        "ENTERPRISEPACK",
        &[
            (
                "efb87545-963c-4e0d-99df-69c6916d9eb0",
                "EXCHANGE_S_ENTERPRISE",
            ),
            ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"),
            ("43de0ff5-c92c-492b-9116-175376d08c38", "OFFICESUBSCRIPTION"),
        ],
    ),
    (
        "SPE_F1",
        &[
            (
                "4a82b400-a79f-41a4-b4e2-e94f5787b113",
                "EXCHANGE_S_DESKLESS",
            ),
            ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"),
        ],
    ),
    (
        "EXCHANGESTANDARD",
        &[(
            "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
            "EXCHANGE_S_STANDARD",
        )],
    ),
    (
        "POWER_BI_PRO",
        &[
            (
                "113feb6c-3fe4-4440-bddc-54d774bf0318",
                "EXCHANGE_S_FOUNDATION",
            ),
            ("70d33638-9c74-4d01-bfd3-562de28bd4ba", "BI_AZURE_P2"),
        ],
    ),
];

/// The SKU's plans: its own when the snapshot lists them, else the catalogue's (none for a
/// SKU the catalogue does not know).
pub(crate) fn service_plans(sku: &SubscribedSku) -> Vec<ServicePlan> {
    if !sku.service_plans.is_empty() {
        return sku.service_plans.clone();
    }
    CATALOGUE
        .iter()
        .find(|(part, _)| part.eq_ignore_ascii_case(&sku.sku_part_number))
        .map(|(_, plans)| {
            plans
                .iter()
                .map(|(id, name)| ServicePlan {
                    service_plan_id: (*id).to_owned(),
                    service_plan_name: (*name).to_owned(),
                    provisioning_status: Some("Success".to_owned()),
                    applies_to: Some("User".to_owned()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a license brings its user a mailbox, with these plans switched off.
pub(crate) fn gives_mailbox(sku: &SubscribedSku, disabled_plans: &[String]) -> bool {
    service_plans(sku).iter().any(|plan| {
        plan.gives_mailbox()
            && !disabled_plans
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&plan.service_plan_id))
    })
}
