//! Command-line arguments, parsed once into typed settings.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use tenure::guard::GuardPolicy;
use tenure::microsoft::NationalCloud;
use tenure::today::Today;

/// Tenure: HR-driven identity lifecycle for Microsoft Entra ID and Exchange Online.
#[derive(Debug, Parser)]
#[command(name = "tenure", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Compute what would change, and why, without writing anything.
    Plan(PlanArgs),
    /// Read the live tenant, plan, and apply the plan (Graph and Exchange Online).
    Sync(SyncArgs),
    /// Match HR workers without an account to accounts that exist without an employeeId (a
    /// tenant that already has people): certain, probable and ambiguous matches with their
    /// evidence; with --confirm, adopt the matches marked in a reviewed report.
    Match(MatchArgs),
    /// Connect a tenant: the customer's own app, or Tenure's app linked by an admin.
    Connect(ConnectArgs),
    /// Write a synthetic company (HR CSV, directory snapshot, mapper config) for benchmarks.
    Generate(GenerateArgs),
    /// Run the emulated tenant (Microsoft login, Graph and Exchange) on a local port.
    Emulate(EmulateArgs),
    /// Run Tenure's functions on one local port (the admin console, sign-in, webhooks, consent,
    /// the OAuth callback, plugin uploads, API tokens, approvals, HR export uploads, match
    /// confirmation) with provisioning from an in-process queue, over the local stores.
    Serve(ServeArgs),
    /// The changes the guard held for approval: list them, or approve one (its work is then
    /// provisioned by this command).
    #[command(subcommand)]
    Approvals(ApprovalsCommand),
    /// Mapping plugins of your own: start one from a template, build it, test it against
    /// fixtures, check it as an upload would (offline), upload it, roll back.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

/// `tenure plugin new | build | check | test | upload | activate`.
#[derive(Debug, Subcommand)]
pub(crate) enum PluginCommand {
    /// Start a plugin project in a new folder: the contract (wit/mapper.wit) and its bindings
    /// for the language, a small documented policy to change into yours, fixtures for `plugin
    /// test` and a README with the build command.
    New(PluginNewArgs),
    /// Build a plugin project with its language's own tool chain (cargo for Rust,
    /// componentize-js for JavaScript, tsc then componentize-js for TypeScript,
    /// componentize-py for Python), with nothing the sandbox refuses, into plugin.wasm; then
    /// run the checks an upload runs and report the component's size and contract version.
    Build(PluginBuildArgs),
    /// Run exactly the checks an upload runs, offline, storing nothing: size, component,
    /// contract and version, imports; with --connection, the connection's mapping configuration
    /// in the local state folder; then the trial on sample workers (the connection's HR export,
    /// else Tenure's sample company). Refusals read as an upload's.
    Check(PluginCheckArgs),
    /// Run HR rows through a plugin and compare each answer with the desired state (or the
    /// refusal) the fixtures file expects: a diff for each difference, exit status 1 when any;
    /// --update writes the plugin's answers into the file instead.
    Test(PluginTestArgs),
    /// Upload a plugin to a connection over HTTP (`tenure serve` or a deployed Tenure), with an
    /// API token that has the plugins:write scope, read from an environment variable or a
    /// file (never a flag, never printed); the server checks it, tries it and activates it. A
    /// plugin over 4 MiB (more than one request through API Gateway carries) goes through an
    /// upload URL.
    Upload(PluginUploadArgs),
    /// Make an uploaded version the connection's plugin again (roll back, or activate one
    /// uploaded with --no-activate), with an API token as for upload.
    Activate(PluginActivateArgs),
}

/// The languages `tenure plugin new` has templates for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PluginLanguage {
    /// Rust with wit-bindgen, built by cargo for wasm32-wasip2.
    Rust,
    /// An ES module, built by componentize-js.
    Javascript,
    /// TypeScript, compiled by tsc, then built by componentize-js.
    Typescript,
    /// A Python module, built by componentize-py.
    Python,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PluginNewArgs {
    /// The plugin's name: lower-case letters, digits and '-', starting with a letter (it names
    /// the Rust package too), e.g. acme-mapper.
    #[arg(value_name = "NAME")]
    pub(crate) name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    pub(crate) lang: PluginLanguage,
    /// The folder to create (default: NAME in the current folder); an existing one must be
    /// empty.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PluginBuildArgs {
    /// The plugin project (default: the current folder): its language is known by its files
    /// (Cargo.toml, tsconfig.json, plugin.js or plugin.py).
    #[arg(value_name = "DIR", default_value = ".")]
    pub(crate) dir: PathBuf,
    /// Where to write the component (default: plugin.wasm in the project).
    #[arg(long, value_name = "FILE.wasm")]
    pub(crate) out: Option<PathBuf>,
    /// Where the JavaScript, TypeScript and Python tool chains are installed: a folder with
    /// node_modules (componentize-js, typescript) and a Python virtual environment with
    /// componentize-py (itself, or as .venv); default: those of the Tenure checkout this
    /// command runs from (plugins/toolchains, .venv), else the PATH.
    #[arg(long, env = "TENURE_PLUGIN_TOOLCHAINS", value_name = "DIR")]
    pub(crate) toolchains: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) state: StateArgs,
    /// Where compiled plugins are cached (default: $XDG_CACHE_HOME/tenure or ~/.cache/tenure)
    #[arg(long, env = "TENURE_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PluginUploadArgs {
    /// The plugin component.
    #[arg(value_name = "FILE.wasm")]
    pub(crate) plugin: PathBuf,
    #[command(flatten)]
    pub(crate) remote: RemoteArgs,
    /// Store the version without activating it (activate it later, or roll back to it).
    #[arg(long)]
    pub(crate) no_activate: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PluginActivateArgs {
    /// The version: its SHA-256, as the upload printed it.
    #[arg(value_name = "SHA256")]
    pub(crate) sha256: String,
    #[command(flatten)]
    pub(crate) remote: RemoteArgs,
}

/// A connection of a Tenure reached over HTTP with an API token.
#[derive(Debug, clap::Args)]
pub(crate) struct RemoteArgs {
    /// The connection.
    #[arg(long = "connection", value_name = "ID")]
    pub(crate) connection: String,
    /// Tenure's address: `tenure serve`'s (http://127.0.0.1:8080) or the deployed API's.
    #[arg(long, env = "TENURE_URL", value_name = "URL")]
    pub(crate) url: String,
    /// The environment variable holding the API token (never printed).
    #[arg(long, default_value = "TENURE_API_TOKEN", value_name = "VAR")]
    pub(crate) token_env: String,
    /// A file holding the API token instead (only its first line is read).
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PluginTestArgs {
    /// The plugin component.
    #[arg(value_name = "FILE.wasm")]
    pub(crate) plugin: PathBuf,
    /// The fixtures file (JSON: today, domains, config, and cases of worker and expected
    /// answer; see docs/plugins.md).
    #[arg(long, value_name = "FIXTURES.json")]
    pub(crate) fixtures: PathBuf,
    /// Write the plugin's answers into the fixtures file as the new expectations.
    #[arg(long)]
    pub(crate) update: bool,
    /// Where compiled plugins are cached (default: $XDG_CACHE_HOME/tenure or ~/.cache/tenure)
    #[arg(long, env = "TENURE_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PluginCheckArgs {
    /// The plugin component.
    #[arg(value_name = "FILE.wasm")]
    pub(crate) plugin: PathBuf,
    /// Check it against this connection's mapping configuration and HR export (in the state
    /// folder), as an upload to it would.
    #[arg(long = "connection", value_name = "ID")]
    pub(crate) connection: Option<String>,
    #[command(flatten)]
    pub(crate) state: StateArgs,
    /// Where compiled plugins are cached (default: $XDG_CACHE_HOME/tenure or ~/.cache/tenure)
    #[arg(long, env = "TENURE_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

/// `tenure approvals list | approve | reject | supervise`.
#[derive(Debug, Subcommand)]
pub(crate) enum ApprovalsCommand {
    /// List a connection's held changes, oldest first, with their reason and state.
    List(ExistingConnectionArgs),
    /// Approve a held change and provision it now (once: approving it again does nothing).
    Approve(ApproveArgs),
    /// Reject a held change with a note: it is never applied, and cannot be approved afterwards.
    Reject(RejectArgs),
    /// Set which of a connection's changes wait for approval: automatic (only what the guard
    /// refuses), leavers (every plan with a leaver too) or every-change (every plan).
    Supervise(SuperviseArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct RejectArgs {
    /// The approval's id, as `tenure approvals list` shows it.
    #[arg(value_name = "APPROVAL")]
    pub(crate) approval: String,
    /// Why it is rejected (kept on the approval).
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: String,
    #[command(flatten)]
    pub(crate) connection: ExistingConnectionArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SuperviseArgs {
    /// automatic, leavers or every-change.
    #[arg(value_name = "MODE", value_parser = tenure::service::settings::Supervision::parse)]
    pub(crate) mode: tenure::service::settings::Supervision,
    #[command(flatten)]
    pub(crate) connection: ExistingConnectionArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ApproveArgs {
    /// The approval's id, as `tenure approvals list` shows it.
    #[arg(value_name = "APPROVAL")]
    pub(crate) approval: String,
    #[command(flatten)]
    pub(crate) connection: ExistingConnectionArgs,
}

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A readable summary grouped by joiners, movers, leavers and the rest.
    Text,
    /// The machine form.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PlanArgs {
    /// The directory snapshot (JSON, see docs/cli.md "Directory snapshot").
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub(crate) directory: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) mapping: MappingArgs,
}

/// What `plan` and `sync` share: the HR source, the mapping and the guard.
#[derive(Debug, clap::Args)]
pub(crate) struct MappingArgs {
    /// HR records: .csv, .json (an array) or .jsonl/.ndjson (one record per line).
    #[arg(long, value_name = "FILE")]
    pub(crate) hr: PathBuf,
    /// The mapping plugin's configuration (JSON).
    #[arg(long, value_name = "MAPPER.json")]
    pub(crate) config: PathBuf,
    /// A mapping plugin component; without it the built-in standard mapper is used.
    #[arg(long, value_name = "FILE.wasm")]
    pub(crate) plugin: Option<PathBuf>,
    /// The date (YYYY-MM-DD) or instant (RFC 3339) to plan for; default: now, in each worker's zone.
    #[arg(long, value_parser = Today::parse)]
    pub(crate) today: Option<Today>,
    /// Largest share of managed users a plan may disable or strip, e.g. 0.1 or 10%.
    #[arg(long, value_parser = GuardPolicy::parse_share, default_value = "10%")]
    pub(crate) max_disable_share: f64,
    /// Allow a plan the guard would refuse.
    #[arg(long)]
    pub(crate) allow_mass_changes: bool,
    /// Where compiled plugins are cached (default: $XDG_CACHE_HOME/tenure or ~/.cache/tenure).
    #[arg(long, env = "TENURE_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SyncArgs {
    #[command(flatten)]
    pub(crate) mapping: MappingArgs,
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// Stop after the plan: read the tenant and print what would change.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Read the whole tenant even when the last sync's delta links could bring its cached
    /// directory up to date.
    #[arg(long)]
    pub(crate) full_read: bool,
    /// Workers written at once (the clients also hold back when Microsoft throttles).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
    /// The audit trail: one JSON line per applied change is appended (default: audit.jsonl in
    /// the state dir's folder for the tenant or connection).
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) audit: Option<PathBuf>,
    /// Where Tenure keeps its audit trail and the directory cache between syncs, one folder per
    /// tenant (default: $XDG_DATA_HOME/tenure or ~/.local/share/tenure).
    #[arg(long, env = "TENURE_STATE_DIR", value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
}

/// How a match report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Readable, grouped by certain, probable, several candidates and none.
    Text,
    /// The machine form; mark `"adopt": true` on the right candidate to confirm it.
    Json,
    /// One row per candidate; write `yes` under `adopt` to confirm it.
    Csv,
}

#[derive(Debug, clap::Args)]
pub(crate) struct MatchArgs {
    #[command(flatten)]
    pub(crate) mapping: MappingArgs,
    /// A directory snapshot (JSON) to match against instead of a live tenant.
    #[arg(long, value_name = "SNAPSHOT.json", conflicts_with_all = ["connection", "tenant"])]
    pub(crate) directory: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub(crate) format: ReportFormat,
    /// A reviewed report (JSON or CSV): adopt the accounts marked adopt, by writing each
    /// worker's employeeId on its account (live tenant only).
    #[arg(long, value_name = "REPORT", conflicts_with = "directory")]
    pub(crate) confirm: Option<PathBuf>,
    /// Read the whole tenant rather than bring the cached directory up to date.
    #[arg(long)]
    pub(crate) full_read: bool,
    /// The audit trail the adoptions are appended to (default:
    /// `<state dir>/<tenant or connection id>/audit.jsonl`).
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) audit: Option<PathBuf>,
    /// Where Tenure keeps its audit trail and the directory cache between runs.
    #[arg(long, env = "TENURE_STATE_DIR", value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
}

/// Which tenant to sync: a stored connection (`tenure connect`), or a customer-owned app
/// registration given by flags, with its client secret in the environment.
#[derive(Debug, clap::Args)]
pub(crate) struct ConnectionArgs {
    /// A connection made with `tenure connect` (kept under the state dir, secrets included).
    #[arg(long, env = "TENURE_CONNECTION", conflicts_with_all = ["tenant", "client_id", "endpoint", "exchange_anchor"])]
    pub(crate) connection: Option<String>,
    /// The tenant: its id or a verified domain (with --client-id, unless --connection).
    #[arg(long, env = "TENURE_TENANT")]
    pub(crate) tenant: Option<String>,
    /// The app registration's client (application) id.
    #[arg(long, env = "TENURE_CLIENT_ID")]
    pub(crate) client_id: Option<String>,
    /// The environment variable holding the app's client secret (never printed or logged).
    #[arg(long, default_value = "TENURE_CLIENT_SECRET", value_name = "VAR")]
    pub(crate) client_secret_env: String,
    /// The national cloud: global, usgovhigh, usgovdod or china.
    #[arg(long, default_value = "global", value_parser = parse_cloud)]
    pub(crate) cloud: NationalCloud,
    /// One base URL for login, Graph and Exchange instead of the cloud's hosts (the emulated
    /// tenant, e.g. http://127.0.0.1:8080).
    #[arg(long, env = "TENURE_ENDPOINT", value_name = "URL")]
    pub(crate) endpoint: Option<String>,
    /// The UPN Exchange Online routes the app's cmdlets by (X-AnchorMailbox), usually an
    /// admin's mailbox. Without it, Exchange is not used: mailboxes and distribution lists are
    /// neither read nor changed.
    #[arg(long, env = "TENURE_EXCHANGE_ANCHOR", value_name = "UPN")]
    pub(crate) exchange_anchor: Option<String>,
}

/// `tenure connect`: make a connection and prove it.
#[derive(Debug, clap::Args)]
pub(crate) struct ConnectArgs {
    #[command(subcommand)]
    pub(crate) kind: ConnectKind,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConnectKind {
    /// The customer's own app registration, with a client secret or a certificate.
    CustomerApp(CustomerAppArgs),
    /// Tenure's app, linked by an administrator signing in (authorize, then admin consent).
    Link(LinkArgs),
    /// List the connections and their status.
    List(StateArgs),
    /// Make (or replace) the key a connection's HR webhooks are signed with; it is written to a
    /// new owner-only file for the HR system's configuration and never printed.
    WebhookKey(WebhookKeyArgs),
    /// Store how a connection's workers are mapped: the plugin's configuration, once the
    /// connection's plugin has checked it, and the guard (an uploaded plugin, once activated,
    /// is kept).
    Mapping(MappingSettingsArgs),
    /// Store a connection's HR export (CSV or JSON), which each scheduled sync reconciles.
    HrExport(HrExportArgs),
    /// Turn Exchange Online on for a connection (proved first with a one-mailbox Get-Mailbox
    /// through the anchor mailbox; kept only when it works) or off.
    Exchange(ExchangeArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ExchangeArgs {
    #[command(flatten)]
    pub(crate) connection: ExistingConnectionArgs,
    /// Manage Exchange, routing requests by this mailbox: the service account's UPN (or, for an
    /// app, any licensed mailbox).
    #[arg(long, value_name = "UPN", required_unless_present = "disable")]
    pub(crate) anchor: Option<String>,
    /// Stop managing Exchange for the connection.
    #[arg(long, conflicts_with = "anchor")]
    pub(crate) disable: bool,
}

/// A stored connection.
#[derive(Debug, clap::Args)]
pub(crate) struct ExistingConnectionArgs {
    /// The connection's id.
    #[arg(long = "connection", value_name = "ID")]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct WebhookKeyArgs {
    #[command(flatten)]
    pub(crate) connection: ExistingConnectionArgs,
    /// The new file to write the key to (created owner-only; an existing file is refused).
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct MappingSettingsArgs {
    #[command(flatten)]
    pub(crate) connection: ExistingConnectionArgs,
    /// The mapping plugin's configuration (JSON).
    #[arg(long, value_name = "MAPPER.json")]
    pub(crate) config: PathBuf,
    /// The largest share of managed users one run may disable or strip ("10%" or 0.1).
    #[arg(long, value_parser = GuardPolicy::parse_share)]
    pub(crate) max_disable_share: Option<f64>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct HrExportArgs {
    #[command(flatten)]
    pub(crate) connection: ExistingConnectionArgs,
    /// The HR export: .csv or .json (an array of records).
    #[arg(long, value_name = "FILE")]
    pub(crate) file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub(crate) listen: std::net::SocketAddr,
    /// The URL people and HR systems reach this server at (the OAuth redirect URI is this
    /// plus /oauth/callback); default: http:// and the listen address.
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// Reconcile every connection with a stored HR export this often (e.g. 1h, 15m); off by
    /// default.
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    pub(crate) sync_every: Option<std::time::Duration>,
    /// Where administrators of the global cloud sign in instead of Microsoft's login: the
    /// address `tenure emulate` printed, for local use (http:// allowed). Admins sign in with
    /// Tenure's app (TENURE_APP_CLIENT_ID, TENURE_APP_CLIENT_SECRET), whose redirect URIs
    /// must include `<public-url>/signin/callback`.
    #[arg(long, value_name = "URL")]
    pub(crate) sign_in_authority: Option<String>,
    /// Users who may manage every connection, as `<tenant-id>/<object-id>`, separated by
    /// commas.
    #[arg(long, env = "TENURE_OPERATORS", value_name = "TENANT/OBJECT,…")]
    pub(crate) operators: Option<String>,
    /// The largest plugin one request may carry (bytes, or with KiB or MiB, e.g. 4MiB, what
    /// API Gateway lets a Lambda function take); a larger one goes through an upload URL, as
    /// on AWS (`tenure plugin upload` and the console do so). Default: the plugin limit itself
    /// (64 MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_request_bytes: Option<usize>,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

/// A size: bytes, or a number of KiB or MiB.
fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let (number, unit) = match trimmed.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => trimmed.split_at(at),
        None => (trimmed, ""),
    };
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1024,
        "MiB" => 1024 * 1024,
        _ => {
            return Err(format!(
                "{text:?} is not a size such as 4194304, 512KiB or 4MiB"
            ));
        }
    };
    let size = number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("{text:?} is not a size such as 4194304, 512KiB or 4MiB"))?;
    if size == 0 {
        return Err(format!("{text:?}: a request must carry at least one byte"));
    }
    Ok(size)
}

fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let span: jiff::Span = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration such as 15m or 1h: {e}"))?;
    let duration = std::time::Duration::try_from(
        span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
            .map_err(|e| format!("{text:?} is not a duration such as 15m or 1h: {e}"))?,
    )
    .map_err(|_| format!("{text:?} must be positive"))?;
    if duration < std::time::Duration::from_secs(60) {
        return Err(format!("{text:?} is too often: at least 1m between syncs"));
    }
    Ok(duration)
}

/// Where the connections are kept.
#[derive(Debug, clap::Args)]
pub(crate) struct StateArgs {
    /// Where Tenure keeps connections, secrets, audit trails and directory caches (default:
    /// $XDG_DATA_HOME/tenure or ~/.local/share/tenure).
    #[arg(long, env = "TENURE_STATE_DIR", value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
}

/// What every connection has.
#[derive(Debug, clap::Args)]
pub(crate) struct NewConnectionArgs {
    /// The connection's id (a-z, 0-9, '-'), e.g. contoso; made from --name when left out. Never
    /// a word the console's routes use (new).
    #[arg(long = "id", value_name = "ID", required_unless_present = "name")]
    pub(crate) id: Option<String>,
    /// What people call the connection (free text, any script, at most 80 characters), e.g.
    /// "Contoso Ltd"; shown by the console and `tenure connect list`.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// The tenant: its id or a verified domain.
    #[arg(long)]
    pub(crate) tenant: String,
    /// The national cloud: global, usgovhigh, usgovdod or china.
    #[arg(long, default_value = "global", value_parser = parse_cloud)]
    pub(crate) cloud: NationalCloud,
    /// One base URL for login, Graph and Exchange instead of the cloud's hosts (the emulated
    /// tenant).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint: Option<String>,
    /// Manage Exchange Online too, acting as this mailbox (the service account's UPN).
    #[arg(long, value_name = "UPN")]
    pub(crate) exchange_anchor: Option<String>,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CustomerAppArgs {
    #[command(flatten)]
    pub(crate) connection: NewConnectionArgs,
    /// The app registration's client (application) id.
    #[arg(long)]
    pub(crate) client_id: String,
    /// The environment variable holding the app's client secret (never on the command line).
    #[arg(long, value_name = "VAR", conflicts_with_all = ["certificate", "key"])]
    pub(crate) client_secret_env: Option<String>,
    /// The app's certificate (PEM), with --key.
    #[arg(long, value_name = "CERT.pem", requires = "key")]
    pub(crate) certificate: Option<PathBuf>,
    /// The certificate's private key (PEM), with --certificate.
    #[arg(long, value_name = "KEY.pem", requires = "certificate")]
    pub(crate) key: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct LinkArgs {
    #[command(flatten)]
    pub(crate) connection: NewConnectionArgs,
    /// The loopback port Microsoft sends the administrator back to
    /// (http://127.0.0.1:PORT/callback must be a redirect URI of Tenure's app).
    #[arg(long, default_value_t = 53682)]
    pub(crate) port: u16,
    /// Link only (sign-in); do not wait for the tenant-wide admin consent.
    #[arg(long)]
    pub(crate) skip_admin_consent: bool,
}

fn parse_tenant_name(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 27
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} cannot name a tenant: use 1 to 27 lower-case letters and digits, as Microsoft's initial domains do"
        ))
    }
}

fn parse_cloud(text: &str) -> Result<NationalCloud, String> {
    text.parse()
        .map_err(|e: tenure::microsoft::UnknownCloud| e.to_string())
}

#[derive(Debug, clap::Args)]
pub(crate) struct GenerateArgs {
    /// How many workers.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) workers: usize,
    /// The folder to write hr.csv, directory.json and mapper.json into.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Seed, so the same arguments give the same files.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct EmulateArgs {
    /// The loopback port to listen on (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,
    /// A directory snapshot to start from (default: an empty tenant).
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub(crate) state: Option<PathBuf>,
    /// Where to write the tenant's state when stopped with Ctrl-C.
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub(crate) save: Option<PathBuf>,
    /// The tenant's name: its initial verified domain is `<NAME>.onmicrosoft.com` (when the
    /// state lists no domain, as in a new tenant).
    #[arg(long, default_value = "emulated", value_parser = parse_tenant_name)]
    pub(crate) name: String,
    /// The client id of the app registered in the tenant.
    #[arg(long, default_value = "tenure-local")]
    pub(crate) client_id: String,
    /// The name of the environment variable holding that app's client secret (never printed).
    #[arg(long, default_value = "TENURE_EMULATOR_CLIENT_SECRET")]
    pub(crate) client_secret_env: String,
    /// Also register Tenure's (multi-tenant) app with this client id, so that
    /// `tenure connect link` works against the tenant.
    #[arg(long, value_name = "CLIENT-ID")]
    pub(crate) tenure_app_id: Option<String>,
    /// The environment variable holding Tenure's app's client secret.
    #[arg(long, default_value = "TENURE_APP_CLIENT_SECRET", value_name = "VAR")]
    pub(crate) tenure_app_secret_env: String,
    /// A redirect URI of Tenure's app (repeatable; exact match, as Microsoft does).
    #[arg(
        long,
        default_value = "http://127.0.0.1:53682/callback",
        value_name = "URI"
    )]
    pub(crate) redirect_uri: Vec<String>,
    /// Answer sign-ins at once as this user accepting (no page), instead of showing the
    /// sign-in and consent page.
    #[arg(long, value_name = "UPN")]
    pub(crate) auto_consent: Option<String>,
    /// Make this user a Global Administrator (listed in `wids` of their ID tokens); may be
    /// repeated. The sample tenant's admin@contoso.onmicrosoft.com always is one.
    #[arg(long = "admin", value_name = "UPN")]
    pub(crate) admin: Vec<String>,
}
