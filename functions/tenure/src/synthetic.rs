//! Synthetic companies of any size, for benchmarks and load tests.
//!
//! The directory is not made up: it is what Tenure itself produces by syncing the company as it
//! was a week ago into an empty tenant. Today's HR file then differs the way a real week does:
//! about 1 % movers, 1 % joiners, 0.5 % leavers, 0.3 % going on leave; the rest is unchanged.

use std::fmt::Write as _;
use std::sync::Arc;

use jiff::civil::{Date, date};

use crate::directory::{ApplyError, DirectoryGroup, Snapshot, SubscribedSku, Tenant};
use crate::guard::GuardPolicy;
use crate::hr::HrError;
use crate::names::MailNickname;
use crate::pipeline::{self, PipelineError, PlanRequest};
use crate::plugin::{PluginError, PluginHost, STANDARD_MAPPER, SandboxLimits};
use crate::today::Today;

/// A generated company.
#[derive(Debug)]
pub struct SyntheticCompany {
    /// Today's HR file, as CSV.
    pub hr_csv: String,
    /// The tenant as last week's sync left it.
    pub directory: Snapshot,
    /// The standard mapper's configuration.
    pub mapper_config: String,
    /// The date to plan for.
    pub today: Date,
}

/// Why a company could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyntheticError {
    /// The standard mapper could not be loaded.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// The generated HR file could not be read back.
    #[error(transparent)]
    Hr(#[from] HrError),
    /// Last week's sync could not be planned.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// Last week's sync could not be applied.
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

const DOMAIN: &str = "contoso.com";
const DEPARTMENTS: [&str; 12] = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Legal",
    "Support",
    "Operations",
    "People",
    "IT",
    "Research",
    "Design",
    "Procurement",
];
const DIVISIONS: [&str; 3] = ["Products", "Go To Market", "Corporate"];
const SITES: [(&str, &str, &str); 6] = [
    ("Seattle", "US", "America/Los_Angeles"),
    ("New York", "US", "America/New_York"),
    ("London", "GB", "Europe/London"),
    ("Berlin", "DE", "Europe/Berlin"),
    ("Tokyo", "JP", "Asia/Tokyo"),
    ("Sydney", "AU", "Australia/Sydney"),
];
const FIRST: [&str; 40] = [
    "Ada",
    "Amir",
    "Ana",
    "Anders",
    "Aoife",
    "Bea",
    "Björn",
    "Chloé",
    "Chen",
    "Dara",
    "Diego",
    "Elif",
    "Emma",
    "Farah",
    "François",
    "Grace",
    "Hana",
    "Ian",
    "Inés",
    "Jakub",
    "Jane",
    "José",
    "Kai",
    "Lars",
    "Léa",
    "Liam",
    "Maja",
    "Mateo",
    "Mei",
    "Nia",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Rafael",
    "Sofia",
    "Søren",
    "Tomás",
    "Yuki",
    "Zoë",
];
const LAST: [&str; 40] = [
    "Abe",
    "Berg",
    "Brown",
    "Castro",
    "Chen",
    "Costa",
    "Doe",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Gupta",
    "Hansen",
    "Ito",
    "Jensen",
    "Kim",
    "Kowalski",
    "López",
    "Martin",
    "Müller",
    "Nakamura",
    "Novak",
    "O'Brien",
    "Patel",
    "Popescu",
    "Quinn",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Smith",
    "Sørensen",
    "Tanaka",
    "Virtanen",
    "Wang",
    "Weber",
    "Wong",
    "Yilmaz",
    "Zhang",
    "Żak",
];
const HEADER: &str = "employee_id,first_name,last_name,middle_name,job_title,department,division,location,country,time_zone,manager_employee_id,employment_status,leave_type,employment_type,hire_date,termination_date\n";

/// One HR row of the generator.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    first: &'static str,
    last: &'static str,
    middle: &'static str,
    title: &'static str,
    department: usize,
    site: usize,
    manager: Option<String>,
    status: &'static str,
    leave_type: &'static str,
    contractor: bool,
    hire: Date,
    termination: Option<Date>,
}

impl Row {
    fn write(&self, out: &mut String) {
        let (location, country, zone) = SITES[self.site];
        let department = DEPARTMENTS[self.department];
        let division = DIVISIONS[self.department % DIVISIONS.len()];
        let kind = if self.contractor {
            "contractor"
        } else {
            "employee"
        };
        let termination = self.termination.map_or_else(String::new, |d| d.to_string());
        let _ = writeln!(
            out,
            "{},{},\"{}\",{},{},{department},{division},{location},{country},{zone},{},{},{},{kind},{},{termination}",
            self.id,
            self.first,
            self.last,
            self.middle,
            self.title,
            self.manager.as_deref().unwrap_or(""),
            self.status,
            self.leave_type,
            self.hire,
        );
    }
}

/// Generates a company of `workers` people (plus this week's joiners), the same for the same seed.
pub fn company(workers: usize, seed: u64) -> Result<SyntheticCompany, SyntheticError> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let today = date(2026, 12, 1);
    let last_week = date(2026, 11, 24);
    let mut rows: Vec<Row> = (0..workers).map(|i| person(&mut rng, i, today)).collect();

    let mut directory = empty_tenant();
    let config = mapper_config();
    let host = PluginHost::new(SandboxLimits::default(), None)?;
    let plugin = host.load(STANDARD_MAPPER)?;
    let hr = crate::hr::read_csv(csv_of(&rows).as_bytes(), Arc::from("last-week.csv"))?;
    let plan = pipeline::plan(PlanRequest {
        hr,
        directory: &directory,
        plugin: &plugin,
        plugin_config: &config,
        today: Today::Date(last_week),
        guard: GuardPolicy::default(),
        first_day_delivered: Default::default(),
    })?;
    let mut next = 0u64;
    directory.apply_plan(&plan, &mut |_| {
        next += 1;
        format!("00000000-0000-4000-8000-{next:012x}")
    })?;

    // This week's news.
    for row in rows.iter_mut().skip(1) {
        match rng.u32(0..1000) {
            0..=9 => row.department = rng.usize(0..DEPARTMENTS.len()),
            10..=14 => {
                row.status = "terminated";
                row.termination = Some(date(2026, 11, 27));
            }
            15..=17 => {
                row.status = "leave";
                row.leave_type = "parental";
            }
            _ => {}
        }
    }
    let joiners = workers / 100;
    for j in 0..joiners {
        let mut row = person(&mut rng, workers + j, today);
        row.hire = today;
        rows.push(row);
    }
    Ok(SyntheticCompany {
        hr_csv: csv_of(&rows),
        directory,
        mapper_config: config,
        today,
    })
}

/// Replays a series of HR files through Tenure into a tenant, as successive syncs would: each
/// file is planned with the standard mapper as of its date and applied. New users get ids made
/// from their employee id, so the result is the same every time.
pub fn replay(
    mut tenant: Snapshot,
    history: Vec<(Date, crate::hr::HrBatch)>,
    mapper_config: &str,
) -> Result<Snapshot, SyntheticError> {
    let host = PluginHost::new(SandboxLimits::default(), None)?;
    let plugin = host.load(STANDARD_MAPPER)?;
    for (day, hr) in history {
        let plan = pipeline::plan(PlanRequest {
            hr,
            directory: &tenant,
            plugin: &plugin,
            plugin_config: mapper_config,
            today: Today::Date(day),
            guard: GuardPolicy {
                allow: true,
                ..GuardPolicy::default()
            },
            first_day_delivered: Default::default(),
        })?;
        tenant.apply_plan(&plan, &mut |employee_id| {
            let digits: String = employee_id
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            format!("40000000-0000-4000-8000-{digits:0>12}")
        })?;
    }
    Ok(tenant)
}

fn person(rng: &mut fastrand::Rng, i: usize, today: Date) -> Row {
    const TITLES: [&str; 6] = [
        "Associate",
        "Specialist",
        "Senior Specialist",
        "Lead",
        "Manager",
        "Director",
    ];
    const MIDDLE: [&str; 6] = ["", "", "A", "J", "M", "Q"];
    let days_ago = rng.i32(30..3650);
    Row {
        id: format!("E{:07}", i + 1),
        first: FIRST[rng.usize(0..FIRST.len())],
        last: LAST[rng.usize(0..LAST.len())],
        middle: MIDDLE[rng.usize(0..MIDDLE.len())],
        title: TITLES[rng.usize(0..TITLES.len())],
        department: rng.usize(0..DEPARTMENTS.len()),
        site: rng.usize(0..SITES.len()),
        // A tree with eight reports per manager: every chain ends at E0000001.
        manager: (i > 0).then(|| format!("E{:07}", (i - 1) / 8 + 1)),
        status: "active",
        leave_type: "",
        contractor: rng.u32(0..10) == 0,
        hire: today.saturating_sub(jiff::Span::new().days(days_ago)),
        termination: None,
    }
}

fn csv_of(rows: &[Row]) -> String {
    let mut out = String::with_capacity(HEADER.len() + rows.len() * 160);
    out.push_str(HEADER);
    for row in rows {
        row.write(&mut out);
    }
    out
}

fn empty_tenant() -> Snapshot {
    let group = |id: usize, name: String, mail: Option<String>, kind: &str| DirectoryGroup {
        id: format!("10000000-0000-4000-8000-{id:012x}"),
        mail_nickname: mail
            .as_ref()
            .and_then(|m| m.split('@').next())
            .map(MailNickname::from),
        proxy_addresses: mail.iter().map(|m| format!("SMTP:{m}")).collect(),
        mail,
        display_name: name,
        group_types: if kind == "m365" {
            vec!["Unified".into()]
        } else {
            Vec::new()
        },
        security_enabled: kind == "security",
        mail_enabled: kind != "security",
        members: Vec::new(),
    };
    let mut groups = vec![group(1, "All Staff".into(), None, "security")];
    for (i, department) in DEPARTMENTS.iter().enumerate() {
        groups.push(group(
            10 + i,
            format!("Dept {department}"),
            None,
            "security",
        ));
    }
    for (i, division) in DIVISIONS.iter().enumerate() {
        let nickname = division.to_lowercase().replace(' ', "-");
        groups.push(group(
            100 + i,
            format!("{division} Team"),
            Some(format!("{nickname}@{DOMAIN}")),
            "m365",
        ));
    }
    for (i, (site, ..)) in SITES.iter().enumerate() {
        let nickname = format!("all-{}", site.to_lowercase().replace(' ', "-"));
        groups.push(group(
            200 + i,
            format!("All {site}"),
            Some(format!("{nickname}@{DOMAIN}")),
            "distribution",
        ));
    }
    Snapshot {
        tenant: Tenant {
            id: Some("00000000-0000-4000-8000-00000000c0de".into()),
            verified_domains: vec![DOMAIN.into()],
        },
        subscribed_skus: vec![
            SubscribedSku {
                sku_id: "6fd2c87f-b296-42f0-b197-1e91e994b900".into(),
                sku_part_number: "ENTERPRISEPACK".into(),
                service_plans: Vec::new(),
            },
            SubscribedSku {
                sku_id: "66b55226-6b4f-492c-910c-a3b7a3c9d993".into(),
                sku_part_number: "SPE_F1".into(),
                service_plans: Vec::new(),
            },
        ],
        groups,
        ..Snapshot::default()
    }
}

fn mapper_config() -> String {
    let mut rules = vec![serde_json::json!({
        "when": {}, "security_groups": ["All Staff"]
    })];
    rules.push(serde_json::json!({"when": {"employment_type": "employee"}, "licenses": ["ENTERPRISEPACK"]}));
    rules.push(
        serde_json::json!({"when": {"employment_type": "contractor"}, "licenses": ["SPE_F1"]}),
    );
    for department in DEPARTMENTS {
        rules.push(serde_json::json!({"when": {"department": department}, "security_groups": [format!("Dept {department}")]}));
    }
    for division in DIVISIONS {
        rules.push(serde_json::json!({"when": {"division": division}, "microsoft365_groups": [format!("{division} Team")]}));
    }
    for (site, ..) in SITES {
        rules.push(serde_json::json!({"when": {"location": site}, "distribution_lists": [format!("All {site}")]}));
    }
    let config = serde_json::json!({
        "upn_domain": DOMAIN,
        "identity_patterns": ["{first}.{last}", "{first}.{middle_initial}.{last}", "{first}.{last}{n}", "{first}.{last}.{employee_id}"],
        "rules": rules,
        "leaver": {"full_access": ["manager"]},
    });
    serde_json::to_string_pretty(&config).unwrap_or_default()
}
