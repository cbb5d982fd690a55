//! How the AWS stores reach AWS: endpoint, region and credentials from configuration.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use secrecy::{ExposeSecret, SecretString};

/// Where the AWS stores send their requests. Every field left out falls back to the SDK's usual
/// sources (the `AWS_*` environment variables a Lambda function gets, then the shared config
/// files); tests set all three to point at `moto_server`.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// A base URL that replaces AWS's own endpoints (a local emulator), such as
    /// `http://127.0.0.1:5000`.
    pub endpoint_url: Option<String>,
    /// The region, such as `eu-west-1`.
    pub region: Option<String>,
    /// Fixed credentials instead of the SDK's credential chain.
    pub credentials: Option<StaticCredentials>,
}

/// An access key pair given in configuration.
#[derive(Debug, Clone)]
pub struct StaticCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key (never printed).
    pub secret_access_key: SecretString,
}

impl AwsSettings {
    /// Settings for a local emulator: its endpoint, a region and dummy credentials.
    pub fn emulator(endpoint_url: &str, region: &str, access_key_id: &str, secret: &str) -> Self {
        Self {
            endpoint_url: Some(endpoint_url.trim_end_matches('/').to_owned()),
            region: Some(region.to_owned()),
            credentials: Some(StaticCredentials {
                access_key_id: access_key_id.to_owned(),
                secret_access_key: SecretString::from(secret.to_owned()),
            }),
        }
    }

    /// The SDK configuration the store clients are built from. HTTPS goes through rustls with
    /// ring (no C crypto library to build).
    pub async fn load(&self) -> SdkConfig {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url.clone());
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(keys) = &self.credentials {
            loader = loader.credentials_provider(Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.expose_secret().to_owned(),
                None,
                None,
                "tenure-settings",
            ));
        }
        loader.load().await
    }
}
