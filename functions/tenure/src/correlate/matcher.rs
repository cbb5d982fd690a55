//! Matching workers without an account to accounts without an `employeeId`.
//!
//! The rules are tried in order. At each rule a worker with exactly one candidate account that
//! no other worker also found at that rule is matched, and both leave the game; a worker with
//! several candidates at one rule is ambiguous (a reviewer picks); a worker whose one candidate
//! another worker also found goes on to the later rules, which may tell them apart (two Alex
//! Kims in different departments). A worker left with candidates but no match is ambiguous.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::config::{AddressField, Agreement, HrAddress, MatchRule, MatchingConfig, NameMatch};
use super::fold::name_forms;
use super::report::{Candidate, MatchOutcome, MatchReport, UnmatchedAccount, WorkerMatch};
use crate::directory::{DirectoryIndex, DirectoryUser, MailboxType};
use crate::worker::Worker;

/// A worker to match: the HR record, and the UPN Tenure would give them.
#[derive(Debug, Clone, Copy)]
pub struct Seeking<'a> {
    /// The HR record.
    pub worker: &'a Worker,
    /// The plugin's first identity candidate's UPN, for rules on `identity`.
    pub identity: Option<&'a str>,
    /// The worker's name for the report.
    pub name: &'a str,
}

/// An account that may be matched, with its names folded once.
struct Account<'a> {
    user: &'a DirectoryUser,
    given: Vec<String>,
    surname: Vec<String>,
}

/// The accounts without an `employeeId`, by every key a rule looks up.
struct Pool<'a> {
    accounts: Vec<Account<'a>>,
    by_address: HashMap<(AddressField, String), Vec<usize>>,
    by_full_name: HashMap<String, Vec<usize>>,
    by_given_name: HashMap<String, Vec<usize>>,
}

/// A candidate found by one rule, with the evidence.
struct Found {
    account: usize,
    evidence: Vec<String>,
}

/// Matches `seeking` against the directory's accounts without an `employeeId`. Pure.
pub fn correlate(
    seeking: &[Seeking<'_>],
    index: &DirectoryIndex<'_>,
    config: &MatchingConfig,
) -> MatchReport {
    let excluded_accounts: HashSet<String> = config
        .exclude_accounts
        .iter()
        .map(|a| a.trim().to_lowercase())
        .collect();
    let mut unmatched = Vec::new();
    let pool = Pool::new(index, &excluded_accounts, &mut unmatched);
    let excluded_workers: HashSet<&str> = config.exclude_workers.iter().map(|w| w.trim()).collect();
    let managers = manager_accounts(seeking, index, &pool, config);
    let judge = Judge {
        pool: &pool,
        managers: &managers,
    };
    let open: Vec<usize> = (0..seeking.len())
        .filter(|&w| !excluded_workers.contains(seeking[w].worker.employee_id.as_str()))
        .collect();
    let mut rounds = Rounds::run(&judge, seeking, open, config);

    let mut report = MatchReport {
        auto_confirm: config.auto_confirm,
        ..MatchReport::default()
    };
    let matched_ids: HashSet<String> = rounds
        .matched
        .values()
        .map(|(_, c)| c.user_id.clone())
        .collect();
    for (w, seeker) in seeking.iter().enumerate() {
        let employee_id = seeker.worker.employee_id.as_str();
        let (outcome, candidates, note) = if excluded_workers.contains(employee_id) {
            (
                MatchOutcome::None,
                Vec::new(),
                Some("excluded by matching.exclude_workers: a new account is made".to_owned()),
            )
        } else {
            rounds.outcome_of(w, config, &matched_ids)
        };
        report.workers.push(WorkerMatch {
            employee_id: employee_id.to_owned(),
            name: seeker.name.to_owned(),
            outcome,
            candidates,
            note,
        });
    }
    report.unmatched_accounts = unclaimed(&pool, &report.workers, unmatched);
    report
}

/// What the rules found, rule by rule: each worker still open is matched when a rule finds
/// exactly one account for it that no other open worker's finds; several accounts make it
/// ambiguous, an account others also find makes it contested.
struct Rounds {
    /// Worker → (the rule, the account).
    matched: HashMap<usize, (usize, Candidate)>,
    ambiguous: HashMap<usize, Vec<Candidate>>,
    contested: HashMap<usize, Vec<Candidate>>,
}

impl Rounds {
    fn run(
        judge: &Judge<'_, '_>,
        seeking: &[Seeking<'_>],
        mut open: Vec<usize>,
        config: &MatchingConfig,
    ) -> Self {
        let mut rounds = Self {
            matched: HashMap::default(),
            ambiguous: HashMap::default(),
            contested: HashMap::default(),
        };
        let mut taken: HashSet<usize> = HashSet::default();
        for (r, rule) in config.rules.iter().enumerate() {
            let mut found: Vec<(usize, Vec<Found>)> = Vec::new();
            let mut claims: HashMap<usize, usize> = HashMap::default();
            for &w in &open {
                let hits: Vec<Found> = judge
                    .candidates(rule, &seeking[w])
                    .into_iter()
                    .filter(|f| !taken.contains(&f.account))
                    .collect();
                for hit in &hits {
                    *claims.entry(hit.account).or_default() += 1;
                }
                if !hits.is_empty() {
                    found.push((w, hits));
                }
            }
            let candidate = |f: Found| judge.pool.candidate(f, config, r);
            let mut settled: HashSet<usize> = HashSet::default();
            for (w, mut hits) in found {
                if hits.len() > 1 {
                    rounds
                        .ambiguous
                        .entry(w)
                        .or_default()
                        .extend(hits.into_iter().map(candidate));
                    settled.insert(w);
                } else if let Some(hit) = hits.pop() {
                    if claims.get(&hit.account) == Some(&1) {
                        taken.insert(hit.account);
                        rounds.matched.insert(w, (r, candidate(hit)));
                        settled.insert(w);
                    } else {
                        rounds.contested.entry(w).or_default().push(candidate(hit));
                    }
                }
            }
            open.retain(|w| !settled.contains(w));
        }
        rounds
    }

    /// Worker `w`'s outcome and candidates: its match, else the accounts it was ambiguous or
    /// contested between that nobody else was matched to, once each.
    fn outcome_of(
        &mut self,
        w: usize,
        config: &MatchingConfig,
        matched_ids: &HashSet<String>,
    ) -> (MatchOutcome, Vec<Candidate>, Option<String>) {
        if let Some((r, candidate)) = self.matched.remove(&w) {
            let outcome = match config.rules[r].confidence {
                super::config::Confidence::Certain => MatchOutcome::Certain,
                super::config::Confidence::Probable => MatchOutcome::Probable,
            };
            return (outcome, vec![candidate], None);
        }
        let mut candidates = self.ambiguous.remove(&w).unwrap_or_default();
        candidates.extend(self.contested.remove(&w).unwrap_or_default());
        candidates.retain(|c| !matched_ids.contains(&c.user_id));
        let mut seen = HashSet::default();
        candidates.retain(|c| seen.insert(c.user_id.clone()));
        match candidates.is_empty() {
            true => (MatchOutcome::None, candidates, None),
            false => (MatchOutcome::Ambiguous, candidates, None),
        }
    }
}

/// The accounts no worker claims (matched or candidate), with those the pool left out, by UPN.
fn unclaimed(
    pool: &Pool<'_>,
    workers: &[WorkerMatch],
    mut left_out: Vec<UnmatchedAccount>,
) -> Vec<UnmatchedAccount> {
    let claimed: HashSet<&str> = workers
        .iter()
        .flat_map(|worker| worker.candidates.iter().map(|c| c.user_id.as_str()))
        .collect();
    let mut nobody: Vec<UnmatchedAccount> = pool
        .accounts
        .iter()
        .filter(|a| !claimed.contains(a.user.id.as_str()))
        .map(|a| unmatched_account(a.user, "no worker matches it"))
        .collect();
    nobody.append(&mut left_out);
    nobody.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));
    nobody
}

fn unmatched_account(user: &DirectoryUser, why: &str) -> UnmatchedAccount {
    UnmatchedAccount {
        user_id: user.id.to_string(),
        user_principal_name: user.user_principal_name.to_string(),
        display_name: user.display_name.clone(),
        why: why.to_owned(),
        adopt_for: None,
    }
}

impl<'a> Pool<'a> {
    fn new(
        index: &DirectoryIndex<'a>,
        excluded: &HashSet<String>,
        unmatched: &mut Vec<UnmatchedAccount>,
    ) -> Self {
        let mut pool = Self {
            accounts: Vec::new(),
            by_address: HashMap::default(),
            by_full_name: HashMap::default(),
            by_given_name: HashMap::default(),
        };
        for user in index
            .snapshot()
            .users
            .iter()
            .filter(|u| u.employee_id.is_none())
        {
            if excluded.contains(&user.id.to_lowercase())
                || excluded.contains(&user.user_principal_name.folded())
            {
                unmatched.push(unmatched_account(
                    user,
                    "excluded by matching.exclude_accounts",
                ));
                continue;
            }
            if index
                .mailbox(&user.id)
                .is_some_and(|m| m.recipient_type_details == MailboxType::SharedMailbox)
            {
                unmatched.push(unmatched_account(
                    user,
                    "a shared mailbox, not a person's account",
                ));
                continue;
            }
            pool.add(user);
        }
        pool
    }

    fn add(&mut self, user: &'a DirectoryUser) {
        let at = self.accounts.len();
        let mut address = |field: AddressField, value: &str| {
            let list = self
                .by_address
                .entry((field, value.trim().to_lowercase()))
                .or_default();
            if !list.contains(&at) {
                list.push(at);
            }
        };
        address(AddressField::UserPrincipalName, &user.user_principal_name);
        if let Some(mail) = &user.mail {
            address(AddressField::Mail, mail);
        }
        for proxy in user.smtp_addresses() {
            address(AddressField::ProxyAddresses, proxy);
        }
        let (given, surname) = account_names(user);
        for g in &given {
            self.by_given_name.entry(g.clone()).or_default().push(at);
            for s in &surname {
                self.by_full_name
                    .entry(format!("{g} {s}"))
                    .or_default()
                    .push(at);
            }
        }
        self.accounts.push(Account {
            user,
            given,
            surname,
        });
    }

    fn candidate(&self, found: Found, config: &MatchingConfig, rule: usize) -> Candidate {
        let user = self.accounts[found.account].user;
        Candidate {
            user_id: user.id.to_string(),
            user_principal_name: user.user_principal_name.to_string(),
            display_name: user.display_name.clone(),
            account_enabled: user.account_enabled,
            confidence: config.rules[rule].confidence,
            rule: config.rule_name(rule),
            evidence: found.evidence,
            adopt: false,
        }
    }
}

/// An account's given name and surname, folded: the Graph properties, or else the first and
/// last words of the display name.
fn account_names(user: &DirectoryUser) -> (Vec<String>, Vec<String>) {
    let words: Vec<&str> = user
        .display_name
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let given = user
        .given_name
        .as_deref()
        .or_else(|| (words.len() >= 2).then(|| words[0]))
        .map(name_forms)
        .unwrap_or_default();
    let surname = user
        .surname
        .as_deref()
        .or_else(|| (words.len() >= 2).then(|| words[words.len() - 1]))
        .map(name_forms)
        .unwrap_or_default();
    (given, surname)
}

/// The worker's given names (preferred and legal first) and surname, folded.
fn worker_names(worker: &Worker) -> (Vec<String>, Vec<String>) {
    let mut given: Vec<String> = Vec::new();
    for name in [&worker.preferred_name, &worker.first_name]
        .into_iter()
        .flatten()
    {
        for form in name_forms(name) {
            if !given.contains(&form) {
                given.push(form);
            }
        }
    }
    let surname = worker
        .last_name
        .as_deref()
        .map(name_forms)
        .unwrap_or_default();
    (given, surname)
}

/// Each HR manager's account, when it is known without matching (its `employeeId`) or found by
/// an address rule alone: what a `manager` agreement compares with.
fn manager_accounts<'a>(
    seeking: &[Seeking<'_>],
    index: &DirectoryIndex<'a>,
    pool: &Pool<'a>,
    config: &MatchingConfig,
) -> HashMap<String, &'a str> {
    let mut managers: HashMap<String, &'a str> = HashMap::default();
    let wanted: HashSet<&str> = seeking
        .iter()
        .filter_map(|s| s.worker.manager_employee_id.as_ref().map(|m| m.as_str()))
        .collect();
    for id in &wanted {
        if let [one] = index.users_by_employee_id(id) {
            managers.insert((*id).to_owned(), one.id.as_str());
        }
    }
    let judge = Judge {
        pool,
        managers: &HashMap::default(),
    };
    let address_rules: Vec<&MatchRule> = config
        .rules
        .iter()
        .filter(|r| r.hr.is_some() && r.name.is_none() && r.agree.is_empty())
        .collect();
    for seeker in seeking {
        let id = seeker.worker.employee_id.as_str();
        if !wanted.contains(id) || managers.contains_key(id) {
            continue;
        }
        if let Some(found) = address_rules.iter().find_map(|rule| {
            let hits = judge.candidates(rule, seeker);
            match hits.as_slice() {
                [one] => Some(one.account),
                _ => None,
            }
        }) {
            managers.insert(id.to_owned(), pool.accounts[found].user.id.as_str());
        }
    }
    managers
}

/// Applies rules to workers.
struct Judge<'p, 'a> {
    pool: &'p Pool<'a>,
    managers: &'p HashMap<String, &'a str>,
}

impl Judge<'_, '_> {
    /// The accounts a rule finds for a worker, each with the evidence.
    fn candidates(&self, rule: &MatchRule, seeker: &Seeking<'_>) -> Vec<Found> {
        let worker = seeker.worker;
        let (given, surname) = worker_names(worker);
        let mut found: Vec<Found> = match &rule.hr {
            Some(source) => self.by_address(rule, source, seeker),
            None => self.by_name(rule.name, &given, &surname),
        };
        if rule.hr.is_some()
            && let Some(name) = rule.name
        {
            found.retain_mut(|f| {
                let account = &self.pool.accounts[f.account];
                let agrees = names_agree(name, &given, &surname, account);
                if agrees {
                    f.evidence.push(name_evidence(seeker, account.user));
                }
                agrees
            });
        }
        let needed = rule.agreements_needed();
        if needed > 0 {
            found.retain_mut(|f| {
                let user = self.pool.accounts[f.account].user;
                let agreeing: Vec<String> = rule
                    .agree
                    .iter()
                    .filter_map(|a| self.agreement(*a, worker, user))
                    .collect();
                let enough = agreeing.len() >= needed;
                if enough {
                    f.evidence.extend(agreeing);
                }
                enough
            });
        }
        found
    }

    fn by_address(&self, rule: &MatchRule, source: &HrAddress, seeker: &Seeking<'_>) -> Vec<Found> {
        let worker = seeker.worker;
        let (what, value) = match source {
            HrAddress::WorkEmail => ("work_email".to_owned(), worker.work_email.as_deref()),
            HrAddress::Identity => ("the UPN Tenure would give".to_owned(), seeker.identity),
            HrAddress::Custom(header) => (
                format!("HR column {header:?}"),
                worker
                    .custom
                    .iter()
                    .find(|(h, _)| h.trim().eq_ignore_ascii_case(header.trim()))
                    .map(|(_, v)| v.as_str()),
            ),
        };
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Vec::new();
        };
        let key = value.to_lowercase();
        let mut found: Vec<Found> = Vec::new();
        for field in &rule.directory {
            let Some(accounts) = self.pool.by_address.get(&(*field, key.clone())) else {
                continue;
            };
            for &account in accounts {
                let evidence = format!("{what} {value} is the account's {}", field.graph_name());
                match found.iter_mut().find(|f| f.account == account) {
                    Some(known) => known.evidence.push(evidence),
                    None => found.push(Found {
                        account,
                        evidence: vec![evidence],
                    }),
                }
            }
        }
        found
    }

    fn by_name(&self, name: Option<NameMatch>, given: &[String], surname: &[String]) -> Vec<Found> {
        let mut accounts: Vec<usize> = Vec::new();
        for g in given {
            let hits = match name {
                Some(NameMatch::Full) => surname
                    .iter()
                    .filter_map(|s| self.pool.by_full_name.get(&format!("{g} {s}")))
                    .flatten()
                    .copied()
                    .collect::<Vec<_>>(),
                Some(NameMatch::Given) => {
                    self.pool.by_given_name.get(g).cloned().unwrap_or_default()
                }
                None => Vec::new(),
            };
            for hit in hits {
                if !accounts.contains(&hit) {
                    accounts.push(hit);
                }
            }
        }
        accounts
            .into_iter()
            .map(|account| {
                let user = self.pool.accounts[account].user;
                let shown = shown_name(user);
                let evidence = match name {
                    Some(NameMatch::Given) => format!("the given name agrees ({shown})"),
                    _ => format!("the name agrees ({shown})"),
                };
                Found {
                    account,
                    evidence: vec![evidence],
                }
            })
            .collect()
    }

    /// Evidence that a fact agrees, or `None`.
    fn agreement(
        &self,
        agreement: Agreement,
        worker: &Worker,
        user: &DirectoryUser,
    ) -> Option<String> {
        let same = |hr: &Option<crate::SharedStr>,
                    directory: &Option<crate::SharedStr>|
         -> Option<String> {
            let (hr, directory) = (hr.as_deref()?.trim(), directory.as_deref()?.trim());
            (!hr.is_empty() && hr.eq_ignore_ascii_case(directory)).then(|| hr.to_owned())
        };
        match agreement {
            Agreement::Department => {
                same(&worker.department, &user.department).map(|v| format!("department {v} agrees"))
            }
            Agreement::JobTitle => {
                same(&worker.job_title, &user.job_title).map(|v| format!("job title {v} agrees"))
            }
            Agreement::Office => {
                same(&worker.location, &user.office_location).map(|v| format!("office {v} agrees"))
            }
            Agreement::MobilePhone => {
                let (hr, directory) = (
                    worker.mobile_phone.as_deref()?,
                    user.mobile_phone.as_deref()?,
                );
                same_phone(hr, directory).then(|| format!("mobile phone {hr} agrees"))
            }
            Agreement::Manager => {
                let manager = worker.manager_employee_id.as_ref()?;
                let account = self.managers.get(manager.as_str())?;
                (user.manager.as_ref()?.id == *account)
                    .then(|| format!("the manager agrees (employee {manager})"))
            }
        }
    }
}

fn names_agree(
    name: NameMatch,
    given: &[String],
    surname: &[String],
    account: &Account<'_>,
) -> bool {
    let given_agrees = given.iter().any(|g| account.given.contains(g));
    match name {
        NameMatch::Given => given_agrees,
        NameMatch::Full => given_agrees && surname.iter().any(|s| account.surname.contains(s)),
    }
}

fn shown_name(user: &DirectoryUser) -> String {
    match (&user.given_name, &user.surname) {
        (Some(g), Some(s)) => format!("{g} {s}"),
        _ => user.display_name.clone().unwrap_or_default(),
    }
}

fn name_evidence(seeker: &Seeking<'_>, user: &DirectoryUser) -> String {
    format!("the name {} agrees ({})", seeker.name, shown_name(user))
}

/// Phone numbers compared by their digits; a number with its country code and one without
/// agree when the longer ends with the shorter (at least seven digits).
pub(crate) fn same_phone(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (digits(a), digits(b));
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    short.len() >= 7 && long.ends_with(short.as_str())
}
