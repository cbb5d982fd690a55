//! A test plugin that tries to open a TCP connection for every worker it maps.

wit_bindgen::generate!({ path: "../../wit", world: "plugin" });

use exports::tenure::mapper::mapping::Guest;
use tenure::mapper::types::{
    BatchItem, Context, DesiredState, Managed, MappingError, Phase, Worker,
};

struct Socket;

impl Guest for Socket {
    fn validate_config(_config: String, _domains: Vec<String>) -> Result<Managed, MappingError> {
        Ok(Managed {
            groups: Vec::new(),
            licenses: Vec::new(),
        })
    }

    fn map(_worker: Worker, _context: Context) -> Result<DesiredState, MappingError> {
        connect()
    }

    fn map_batch(
        items: Vec<BatchItem>,
        _domains: Vec<String>,
        _config: String,
    ) -> Vec<Result<DesiredState, MappingError>> {
        items.iter().map(|_| connect()).collect()
    }
}

/// Tries to reach a server outside the sandbox.
fn connect() -> Result<DesiredState, MappingError> {
    match std::net::TcpStream::connect("93.184.215.14:80") {
        Ok(_) => Ok(DesiredState {
            phase: Phase::Active,
            account: None,
        }),
        Err(error) => Err(MappingError {
            field: None,
            message: format!("connect failed: {error}"),
        }),
    }
}

export!(Socket);
