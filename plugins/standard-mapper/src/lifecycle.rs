//! Where a worker stands on a given day, and what the leave and leaver policies make of it.

use crate::fields::eq_ignore_case;
use crate::types::{Date, EmploymentStatus, OnDisable, Phase, Principal, Worker};

/// Judges the phase of a worker on `today` (a date in the worker's own time zone).
///
/// In order: a termination in effect wins (the status is `terminated` with no date, or the
/// termination date has passed: the last day is still worked); then a future hire date (pre-hire
/// within `prehire_days`, otherwise too early for an account); then leave; otherwise active.
pub(crate) fn phase(worker: &Worker, today: Date, prehire_days: u16) -> Phase {
    let terminated = match worker.termination_date {
        Some(last_day) => day_number(last_day) < day_number(today),
        None => worker.employment_status == EmploymentStatus::Terminated,
    };
    if terminated {
        return Phase::Terminated;
    }
    if let Some(hire) = worker.hire_date {
        let days_ahead = day_number(hire) - day_number(today);
        if days_ahead > 0 {
            return if days_ahead <= i64::from(prehire_days) {
                Phase::PreHire
            } else {
                Phase::NotYet
            };
        }
    }
    match worker.employment_status {
        EmploymentStatus::Leave => Phase::OnLeave,
        EmploymentStatus::Active | EmploymentStatus::Terminated => Phase::Active,
    }
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
pub(crate) fn day_number(date: Date) -> i64 {
    let month = i64::from(date.month);
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year =
        (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// What one kind of leave does to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LeavePolicy {
    pub(crate) disable: bool,
    pub(crate) revoke_sessions: bool,
}

/// The leave policy of every leave type, and the one for types not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeavePolicies {
    pub(crate) default: LeavePolicy,
    /// By leave type in lower case; distinct.
    pub(crate) types: Vec<(String, LeavePolicy)>,
}

impl LeavePolicies {
    /// The policy for a worker's leave type, matched ignoring case; the default when the type is
    /// missing or not listed.
    pub(crate) fn for_type(&self, leave_type: Option<&str>) -> LeavePolicy {
        leave_type
            .and_then(|kind| {
                self.types
                    .iter()
                    .find(|(name, _)| eq_ignore_case(kind, name))
            })
            .map_or(self.default, |(_, policy)| *policy)
    }
}

/// What happens to a leaver's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaverPolicy {
    pub(crate) disable: bool,
    pub(crate) on_disable: OnDisable,
    pub(crate) remove_groups: bool,
    pub(crate) remove_licenses: bool,
    pub(crate) convert_mailbox_to_shared: bool,
    pub(crate) hide_from_address_list: bool,
    pub(crate) full_access: Vec<Principal>,
}

/// Parses who gets full access to a leaver's mailbox: `manager`, `user:<upn>` or `employee:<id>`.
pub(crate) fn parse_principal(text: &str) -> Result<Principal, String> {
    let text = text.trim();
    let expected =
        "expected \"manager\", \"user:<user principal name>\" or \"employee:<employee id>\"";
    if text.eq_ignore_ascii_case("manager") {
        return Ok(Principal::Manager);
    }
    let Some((kind, who)) = text.split_once(':') else {
        return Err(format!("{text:?}: {expected}"));
    };
    let who = who.trim();
    match kind.trim().to_ascii_lowercase().as_str() {
        "user" if is_user_principal_name(who) => Ok(Principal::User(who.to_owned())),
        "user" => Err(format!(
            "{who:?} is not a user principal name such as it-archive@contoso.com"
        )),
        "employee" if !who.is_empty() => Ok(Principal::Employee(who.to_owned())),
        "employee" => Err("employee: needs an employee id after it, as in employee:1001".into()),
        _ => Err(format!("{text:?}: {expected}")),
    }
}

fn is_user_principal_name(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::worker;

    /// Monday 10 March 2025.
    const TODAY: Date = date(2025, 3, 10);

    const fn date(year: i16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    fn hired(on: Date) -> Worker {
        let mut person = worker("1042");
        person.hire_date = Some(on);
        person
    }

    #[test]
    fn day_numbers_count_days() {
        assert_eq!(
            day_number(Date {
                year: 1970,
                month: 1,
                day: 1
            }),
            0
        );
        assert_eq!(
            day_number(Date {
                year: 2000,
                month: 3,
                day: 1
            }),
            11_017
        );
        assert_eq!(
            day_number(Date {
                year: 2024,
                month: 3,
                day: 1
            }) - day_number(Date {
                year: 2024,
                month: 2,
                day: 28
            }),
            2
        );
        assert_eq!(
            day_number(Date {
                year: 1969,
                month: 12,
                day: 31
            }),
            -1
        );
    }

    #[test]
    fn a_hire_within_the_prehire_window_is_pre_hire() {
        assert_eq!(phase(&hired(date(2025, 3, 11)), TODAY, 7), Phase::PreHire);
        assert_eq!(phase(&hired(date(2025, 3, 17)), TODAY, 7), Phase::PreHire);
    }

    #[test]
    fn the_window_is_counted_in_calendar_days_across_months() {
        let late_february = date(2025, 2, 26);
        assert_eq!(
            phase(&hired(date(2025, 3, 5)), late_february, 7),
            Phase::PreHire
        );
        assert_eq!(
            phase(&hired(date(2025, 3, 6)), late_february, 7),
            Phase::NotYet
        );
        let leap_year = date(2024, 2, 26);
        assert_eq!(
            phase(&hired(date(2024, 3, 4)), leap_year, 7),
            Phase::PreHire
        );
        assert_eq!(phase(&hired(date(2024, 3, 5)), leap_year, 7), Phase::NotYet);
    }

    #[test]
    fn a_hire_beyond_the_window_is_not_yet() {
        assert_eq!(phase(&hired(date(2025, 3, 18)), TODAY, 7), Phase::NotYet);
        assert_eq!(phase(&hired(date(2025, 3, 11)), TODAY, 0), Phase::NotYet);
    }

    #[test]
    fn a_worker_is_active_from_the_hire_date() {
        assert_eq!(phase(&hired(TODAY), TODAY, 7), Phase::Active);
        assert_eq!(phase(&hired(date(2024, 2, 5)), TODAY, 7), Phase::Active);
        assert_eq!(phase(&worker("1042"), TODAY, 7), Phase::Active);
    }

    #[test]
    fn the_last_day_is_still_worked() {
        let mut leaving = hired(date(2024, 12, 1));
        leaving.employment_status = EmploymentStatus::Terminated;
        leaving.termination_date = Some(TODAY);
        assert_eq!(phase(&leaving, TODAY, 7), Phase::Active);
        leaving.termination_date = Some(date(2025, 3, 15));
        assert_eq!(phase(&leaving, TODAY, 7), Phase::Active);
    }

    #[test]
    fn the_day_after_the_last_day_is_terminated_whatever_the_status() {
        let mut gone = hired(date(2024, 12, 1));
        gone.termination_date = Some(date(2025, 3, 9));
        assert_eq!(phase(&gone, TODAY, 7), Phase::Terminated);
        gone.employment_status = EmploymentStatus::Leave;
        assert_eq!(phase(&gone, TODAY, 7), Phase::Terminated);
    }

    #[test]
    fn terminated_without_a_date_is_terminated_at_once() {
        let mut gone = hired(date(2025, 3, 13));
        gone.employment_status = EmploymentStatus::Terminated;
        assert_eq!(phase(&gone, TODAY, 7), Phase::Terminated);
    }

    #[test]
    fn leave_counts_once_the_worker_has_started() {
        let mut away = hired(date(2025, 2, 1));
        away.employment_status = EmploymentStatus::Leave;
        assert_eq!(phase(&away, TODAY, 7), Phase::OnLeave);
        away.hire_date = Some(date(2025, 3, 12));
        assert_eq!(phase(&away, TODAY, 7), Phase::PreHire);
    }

    #[test]
    fn a_rehire_is_active_again() {
        // The old termination is cleared and a new hire date given: the old account comes back.
        let mut back = hired(TODAY);
        back.termination_date = None;
        assert_eq!(phase(&back, TODAY, 7), Phase::Active);
        back.hire_date = Some(date(2025, 3, 13));
        assert_eq!(phase(&back, TODAY, 7), Phase::PreHire);
    }

    #[test]
    fn leave_types_match_ignoring_case_and_fall_back_to_the_default() {
        let off = LeavePolicy {
            disable: false,
            revoke_sessions: false,
        };
        let locked = LeavePolicy {
            disable: true,
            revoke_sessions: true,
        };
        let policies = LeavePolicies {
            default: off,
            types: vec![("suspension".into(), locked)],
        };
        assert_eq!(policies.for_type(Some(" Suspension ")), locked);
        assert_eq!(policies.for_type(Some("medical")), off);
        assert_eq!(policies.for_type(None), off);
    }

    #[test]
    fn principals_are_parsed() -> Result<(), String> {
        assert_eq!(parse_principal("manager")?, Principal::Manager);
        assert_eq!(
            parse_principal("user:it-archive@contoso.com")?,
            Principal::User("it-archive@contoso.com".into())
        );
        assert_eq!(
            parse_principal("employee:1001")?,
            Principal::Employee("1001".into())
        );
        assert!(parse_principal("user:it-archive").is_err());
        assert!(parse_principal("employee:").is_err());
        assert!(parse_principal("boss").is_err_and(|e| e.contains("expected \"manager\"")));
        Ok(())
    }
}
