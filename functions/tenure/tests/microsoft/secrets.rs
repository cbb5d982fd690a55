//! Secrets never appear in Debug, Display or errors.

use secrecy::SecretString;
use tenure::microsoft::{ClientCredential, NationalCloud};

use super::helpers::{CLIENT_ID, SECRET, TestResult, spawn, token_source};
use super::writes::new_user;

#[tokio::test]
async fn the_client_secret_is_never_printed() -> TestResult {
    let t = spawn().await?;
    let credential = ClientCredential::Secret(SecretString::from(SECRET.to_owned()));
    let printed = [
        format!("{credential:?}"),
        format!("{:?}", t.tokens),
        format!("{:?}", t.graph),
        format!("{:?}", t.exchange),
    ];
    for text in printed {
        assert!(!text.contains(SECRET), "{text}");
    }
    let wrong = format!("{SECRET}-wrong");
    let tokens = token_source(&t.tenant, t.tenant.tenant_id(), CLIENT_ID, &wrong)?;
    let error = tokens
        .token(&NationalCloud::Global.graph_scope())
        .await
        .err()
        .ok_or("a wrong secret gave a token")?;
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
    Ok(())
}

#[tokio::test]
async fn a_new_users_password_is_never_in_an_error() -> TestResult {
    let t = spawn().await?;
    let password = "Pa55!never-printed";
    let mut user = new_user("bad domain", "6200");
    user.user_principal_name = "someone@not-verified.example".into();
    let error = t
        .graph
        .create_user(&user, &SecretString::from(password.to_owned()))
        .await
        .err()
        .ok_or("an unverified domain was accepted")?;
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(password), "{text}");
    }
    Ok(())
}
