//! `cargo run -p tenure-lambda --example environment`: what each Lambda function reads from its
//! environment ([`tenure_lambda::FUNCTIONS`]) and the OAuth callback's path, as JSON. The
//! template check (`tests/template`) holds `infra/template.yaml` to it, so the two lists cannot
//! drift apart.

use serde_json::json;

fn main() {
    let functions: serde_json::Map<String, serde_json::Value> = tenure_lambda::FUNCTIONS
        .iter()
        .map(|function| {
            let contract = json!({
                "requires": function.requires,
                "optional": function.optional,
            });
            (function.binary.to_owned(), contract)
        })
        .collect();
    let contract = json!({
        "functions": functions,
        "callback_path": tenure::service::http::CALLBACK_PATH,
    });
    println!("{contract:#}");
}
