//! The `console` function as deployed, under the Runtime API emulator with moto: an operator's
//! session (sealed with the deployment's session key in Secrets Manager, as `sign-in` seals it)
//! gets the console's pages from the binary, the landing page and the static files are public,
//! a browser without a session is sent to sign in, and a `POST` without the session's CSRF
//! token changes nothing. No secret is in an answer or the function's output.

use serde_json::Value;
use tenure_test_support::apigw::ApiEvent;
use tenure_test_support::aws;

use crate::stack::{OPERATOR, Stack, TestResult, operator_cookie};

fn get(path: &str, cookie: Option<&str>) -> Value {
    let event = ApiEvent::get("GET /console/{proxy+}", path).header("accept", "text/html");
    match cookie {
        Some(cookie) => event.header("cookie", cookie).json(),
        None => event.json(),
    }
}

fn body(answer: &Value) -> String {
    answer["body"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_binary_serves_its_pages_to_a_signed_in_operator_only() -> TestResult {
    let stack = Stack::without_functions().await?;
    let operators = format!("{}/{}", OPERATOR.0, OPERATOR.1);
    let _console = stack.spawn_with(
        "console",
        env!("CARGO_BIN_EXE_console"),
        "info",
        &[("TENURE_OPERATORS", operators.as_str())],
    )?;
    let cookie = operator_cookie(&aws::moto_config().await?).await?;
    let id = stack.connection.to_string();

    let landing = stack
        .invoke("console", &ApiEvent::get("GET /", "/").json())
        .await?;
    assert_eq!(landing["statusCode"], 200, "{landing}");
    assert!(body(&landing).contains("Sign in with Microsoft"));
    let style = stack
        .invoke("console", &get("/console/assets/console.css", None))
        .await?;
    assert_eq!(style["statusCode"], 200, "{style}");

    let anonymous = stack.invoke("console", &get("/console", None)).await?;
    let to = anonymous["headers"]["location"]
        .as_str()
        .unwrap_or_default();
    assert!(
        anonymous["statusCode"] == 302 && to.starts_with("/signin?next="),
        "a browser without a session is sent to sign in: {anonymous}"
    );
    assert!(!body(&anonymous).contains(&id));

    let mut answers = vec![landing, anonymous];
    for (path, shows) in [
        ("/console".to_owned(), id.clone()),
        (
            format!("/console/connections/{id}"),
            "tenure-lambda-tests".to_owned(),
        ),
        (
            format!("/console/connections/{id}/hr"),
            "/hr-events".to_owned(),
        ),
        (
            format!("/console/connections/{id}/mapping"),
            "standard".to_owned(),
        ),
        (
            format!("/console/connections/{id}/activity"),
            "Activity".to_owned(),
        ),
    ] {
        let page = stack.invoke("console", &get(&path, Some(&cookie))).await?;
        assert_eq!(page["statusCode"], 200, "{path}: {page}");
        assert!(body(&page).contains(&shows), "{path} shows {shows}: {page}");
        answers.push(page);
    }

    let forged = ApiEvent::post(
        "POST /console/{proxy+}",
        format!("/console/connections/{id}/hr/webhook-key"),
    )
    .header("cookie", &cookie)
    .form("csrf_token=guessed")
    .json();
    let refused = stack.invoke("console", &forged).await?;
    assert_eq!(refused["statusCode"], 403, "{refused}");
    answers.push(refused);

    for answer in &answers {
        Stack::assert_no_secret_in(answer);
    }
    stack.assert_no_secret_anywhere().await?;
    Ok(())
}
