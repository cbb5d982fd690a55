//! Paging and delta links stay on the host they came from: a Graph (or Exchange) answer whose
//! `@odata.nextLink` or `@odata.deltaLink` leads elsewhere fails the read with a clear error,
//! and the bearer token is never sent to that other host.
//!
//! Tokens come from the emulated tenant; "Graph" is a small server of the test's own that
//! answers with a link to a second one, which records every request it gets.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tenure::microsoft::{Api, ApiError, ExchangeClient, GraphClient};

use super::helpers::{ADMIN, Error, TestResult, endpoints, options, spawn};

/// A server on a free loopback port; its base URL.
async fn serve(router: Router) -> Result<String, Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("http://{address}"))
}

/// The elsewhere host: answers anything with an empty page, and records for each request
/// whether it carried an `Authorization` header.
async fn elsewhere() -> Result<(String, Arc<Mutex<Vec<bool>>>), Error> {
    let seen: Arc<Mutex<Vec<bool>>> = Arc::default();
    let record = Arc::clone(&seen);
    let router = Router::new().fallback(move |headers: HeaderMap| {
        let record = Arc::clone(&record);
        async move {
            if let Ok(mut seen) = record.lock() {
                seen.push(headers.contains_key("authorization"));
            }
            axum::Json(json!({"value": [], "@odata.deltaLink": "x"}))
        }
    });
    Ok((serve(router).await?, seen))
}

/// A "Graph" whose collections answer with `page` (given the elsewhere base URL).
async fn graph_answering(page: Value) -> Result<String, Error> {
    let answer = move || {
        let page = page.clone();
        async move { axum::Json(page) }
    };
    let router = Router::new()
        .route("/v1.0/subscribedSkus", get(answer.clone()))
        .route("/v1.0/users/delta", get(answer.clone()))
        .route("/adminapi/beta/{tenant}/InvokeCommand", post(answer));
    serve(router).await
}

fn requests(seen: &Mutex<Vec<bool>>) -> usize {
    seen.lock().map(|s| s.len()).unwrap_or(usize::MAX)
}

fn assert_foreign(error: &ApiError, what: &str, host: &str) {
    assert!(
        matches!(error, ApiError::ForeignLink { what: w, .. } if *w == what),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(host), "{message}");
    assert!(message.contains("not followed"), "{message}");
    assert!(message.contains("token is not sent"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_link_to_another_host_is_not_followed_and_gets_no_token() -> TestResult {
    let t = spawn().await?;
    let (foreign, seen) = elsewhere().await?;
    let graph_url = graph_answering(json!({
        "value": [],
        "@odata.nextLink": format!("{foreign}/v1.0/subscribedSkus?$skiptoken=2"),
    }))
    .await?;
    let graph = GraphClient::new(
        &endpoints(&t.tenant).with_graph(&graph_url),
        Arc::clone(&t.tokens),
        options(),
    )?;
    let error = graph.subscribed_skus().await.expect_err("refused");
    assert_foreign(
        &error,
        "@odata.nextLink",
        foreign.trim_start_matches("http://"),
    );
    assert_eq!(requests(&seen), 0, "the other host was sent a request");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delta_link_to_another_host_is_neither_kept_nor_followed() -> TestResult {
    let t = spawn().await?;
    let (foreign, seen) = elsewhere().await?;
    let foreign_link = format!("{foreign}/v1.0/users/delta?$deltatoken=1");

    // Handed out by "Graph" at the end of a round: the round fails, so it is never kept.
    let graph_url = graph_answering(json!({"value": [], "@odata.deltaLink": foreign_link})).await?;
    let graph = GraphClient::new(
        &endpoints(&t.tenant).with_graph(&graph_url),
        Arc::clone(&t.tokens),
        options(),
    )?;
    let error = graph.users_delta(None).await.expect_err("refused");
    assert_foreign(
        &error,
        "@odata.deltaLink",
        foreign.trim_start_matches("http://"),
    );

    // Kept from before (a tampered directory cache): not sent.
    let error = graph
        .users_delta(Some(&foreign_link))
        .await
        .expect_err("refused");
    assert_foreign(&error, "request URL", foreign.trim_start_matches("http://"));
    assert_eq!(requests(&seen), 0, "the other host was sent a request");

    // The emulated tenant's own links stay on its host and are followed as before.
    let delta = t.graph.users_delta(None).await?;
    assert!(!delta.changed.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_next_link_to_another_host_is_not_followed() -> TestResult {
    let t = spawn().await?;
    let (foreign, seen) = elsewhere().await?;
    let exchange_url = graph_answering(json!({
        "value": [{"Identity": "one"}],
        "@odata.nextLink": format!("{foreign}/adminapi/beta/x/InvokeCommand?$skiptoken=2"),
    }))
    .await?;
    let exchange = ExchangeClient::new(
        &endpoints(&t.tenant).with_exchange(&exchange_url),
        Arc::clone(&t.tokens),
        ADMIN,
        options(),
    )?;
    let error = exchange
        .invoke("Get-Mailbox", serde_json::Map::new())
        .await
        .expect_err("refused");
    assert_foreign(
        &error,
        "@odata.nextLink",
        foreign.trim_start_matches("http://"),
    );
    assert!(matches!(
        error,
        ApiError::ForeignLink {
            api: Api::Exchange,
            ..
        }
    ));
    assert_eq!(requests(&seen), 0, "the other host was sent a request");
    Ok(())
}
