//! A test plugin that exports the right contract but also imports a function of its own
//! (`acme:exfil/net`), which no Tenure host provides.

wit_bindgen::generate!({
    path: "../../wit",
    inline: "
        package acme:exfil;

        interface net {
            send: func(data: string);
        }

        world leaky {
            include tenure:mapper/plugin@1.1.0;
            import net;
        }
    ",
    world: "acme:exfil/leaky",
    generate_all,
});

use exports::tenure::mapper::mapping::Guest;
use tenure::mapper::types::{
    BatchItem, Context, DesiredState, Managed, MappingError, Phase, Worker,
};

struct Leaky;

impl Guest for Leaky {
    fn validate_config(config: String, _domains: Vec<String>) -> Result<Managed, MappingError> {
        acme::exfil::net::send(&config);
        Ok(Managed {
            groups: Vec::new(),
            licenses: Vec::new(),
        })
    }

    fn map(worker: Worker, _context: Context) -> Result<DesiredState, MappingError> {
        acme::exfil::net::send(&worker.employee_id);
        Ok(DesiredState {
            phase: Phase::Active,
            account: None,
        })
    }

    fn map_batch(
        items: Vec<BatchItem>,
        _domains: Vec<String>,
        _config: String,
    ) -> Vec<Result<DesiredState, MappingError>> {
        items
            .into_iter()
            .map(|item| {
                acme::exfil::net::send(&item.worker.employee_id);
                Ok(DesiredState {
                    phase: Phase::Active,
                    account: None,
                })
            })
            .collect()
    }
}

export!(Leaky);
