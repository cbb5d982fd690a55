//! The emulated tenant with its interactive sign-in page, for the browser test in
//! `tests/emulator/page-test/`: loads the sample directory, registers Tenure's multi-tenant
//! app (a test secret, one redirect URI), prints one JSON line saying where everything is, and
//! serves until its standard input closes (so it ends with the process that started it).

use std::io::{Read as _, Write as _};

use serde_json::json;
use tenure::directory::Snapshot;
use tenure_emulator::{EmulatedTenant, RegisteredClient, TenantConfig};

const CLIENT_ID: &str = "7c3a1c52-9a0e-4d51-8f0b-5a1d2e3f4a5b";
/// A secret for this test only.
const CLIENT_SECRET: &str = "page-test~secret";
const REDIRECT_URI: &str = "https://tenure.example.com/connections/callback";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata/directory.json");
    let config = TenantConfig::new(Snapshot::read(&sample)?).with_app(
        RegisteredClient::with_secret(CLIENT_ID, CLIENT_SECRET)
            .redirect_uris(&[REDIRECT_URI])
            .multi_tenant(),
    );
    let tenant = EmulatedTenant::start(config).await?;
    let ready = json!({
        "uri": tenant.uri(),
        "tenant": tenant.tenant_id(),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "user": "admin@contoso.onmicrosoft.com",
    });
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{ready}")?;
    stdout.flush()?;
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        std::io::stdin().read_to_end(&mut sink)
    })
    .await??;
    Ok(())
}
