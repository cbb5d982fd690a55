//! Exchange Online cmdlets: mailboxes, full access, distribution list members.

use tenure::directory::MailboxType;

use super::helpers::{TestResult, sample, spawn};

const OLIVIA: &str = "olivia.bennett@contoso.com";
const MARCUS: &str = "marcus.lindqvist@contoso.com";
const SEATTLE: &str = "all-seattle@contoso.com";

#[tokio::test]
async fn mailboxes_are_read_with_type_and_address_list_flag() -> TestResult {
    let t = spawn().await?;
    let mut read = t.exchange.list_mailboxes().await?;
    let mut expected = sample()?.mailboxes;
    for mailbox in &mut expected {
        mailbox.full_access.clear();
    }
    read.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));
    expected.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));
    assert_eq!(read, expected);
    Ok(())
}

#[tokio::test]
async fn a_leavers_mailbox_is_shared_hidden_and_delegated() -> TestResult {
    let t = spawn().await?;
    t.exchange
        .set_mailbox_type(OLIVIA, MailboxType::SharedMailbox)
        .await?;
    t.exchange
        .set_hidden_from_address_lists(OLIVIA, true)
        .await?;
    t.exchange.add_full_access(OLIVIA, MARCUS).await?;
    let mailbox = t.exchange.get_mailbox(OLIVIA).await?.ok_or("no mailbox")?;
    assert_eq!(mailbox.recipient_type_details, MailboxType::SharedMailbox);
    assert!(mailbox.hidden_from_address_lists_enabled);
    let state = t.tenant.state();
    let stored = state
        .mailboxes
        .iter()
        .find(|m| m.user_principal_name == OLIVIA)
        .ok_or("no stored mailbox")?;
    assert!(stored.full_access.iter().any(|f| f == MARCUS));
    Ok(())
}

#[tokio::test]
async fn a_missing_mailbox_is_recognisable() -> TestResult {
    let t = spawn().await?;
    assert!(
        t.exchange
            .get_mailbox("nobody@contoso.com")
            .await?
            .is_none()
    );
    let error = t
        .exchange
        .set_hidden_from_address_lists("nobody@contoso.com", true)
        .await
        .err()
        .ok_or("a missing mailbox was changed")?;
    assert!(error.is_not_found(), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn distribution_list_members_are_added_and_removed_once() -> TestResult {
    let t = spawn().await?;
    let before = t.exchange.group_members(SEATTLE).await?;
    let member = "henrik.sorensen@contoso.com";
    let added = t.exchange.add_group_member(SEATTLE, member).await?;
    let again = t.exchange.add_group_member(SEATTLE, member).await?;
    assert!(!added.already_done || again.already_done);
    assert!(again.already_done);
    let during = t.exchange.group_members(SEATTLE).await?;
    assert_eq!(
        during.len(),
        before.len() + usize::from(!added.already_done)
    );
    t.exchange.remove_group_member(SEATTLE, member).await?;
    let gone = t.exchange.remove_group_member(SEATTLE, member).await?;
    assert!(gone.already_done);
    Ok(())
}
