//! Serving a tenant on a loopback port, with connections that can be dropped on purpose.

use std::net::SocketAddr;
use std::path::Path;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tenure::directory::Snapshot;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::config::{RateLimits, TenantConfig};
use crate::faults::Faults;
use crate::routes::{DropConnection, app};
use crate::state::{DumpError, RecordedRequest, TenantState};

/// The tenant could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on a loopback port: {0}")]
pub struct StartError(#[from] std::io::Error);

/// An emulated tenant listening on `127.0.0.1` on a free port; stops when dropped.
#[derive(Debug)]
pub struct EmulatedTenant {
    state: TenantState,
    address: SocketAddr,
    server: JoinHandle<()>,
}

/// The error a service returns to make hyper close the connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose by fault injection")]
struct Dropped;

/// Serves a tenant on a listener until the task is dropped or aborted (for `tenure emulate`).
/// Answers marked to be dropped close their connection without a byte.
pub async fn serve(listener: TcpListener, state: TenantState) {
    let router = app(state);
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "emulated tenant: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let router = router.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let router = router.clone();
                async move {
                    let response = match router.oneshot(request.map(Body::new)).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    if response.extensions().get::<DropConnection>().is_some() {
                        return Err(Dropped);
                    }
                    Ok(response)
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, "emulated tenant: connection ended");
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

impl EmulatedTenant {
    /// Starts a tenant on `127.0.0.1`, port chosen by the system.
    pub async fn start(config: TenantConfig) -> Result<Self, StartError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let state = TenantState::new(config);
        let server = tokio::spawn(serve(listener, state.clone()));
        Ok(Self {
            state,
            address,
            server,
        })
    }

    /// The base URL (`http://127.0.0.1:port`) for login, Graph and Exchange alike.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        self.state.tenant_id()
    }

    /// The shared state (to mount [`app`] elsewhere or to reach every control).
    pub fn handle(&self) -> &TenantState {
        &self.state
    }

    /// A copy of the directory now.
    pub fn state(&self) -> Snapshot {
        self.state.state()
    }

    /// Replaces the directory.
    pub fn load(&self, snapshot: Snapshot) {
        self.state.load(snapshot);
    }

    /// Writes the directory as snapshot JSON.
    pub fn dump_to(&self, path: &Path) -> Result<(), DumpError> {
        self.state.dump_to(path)
    }

    /// The requests answered so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        self.state.set_faults(faults);
    }

    /// Replaces the throttling budget.
    pub fn set_limits(&self, limits: RateLimits) {
        self.state.set_limits(limits);
    }
}

impl Drop for EmulatedTenant {
    fn drop(&mut self) {
        self.server.abort();
    }
}
