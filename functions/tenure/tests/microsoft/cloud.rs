//! The national-cloud table and endpoint overrides (no server).

use tenure::microsoft::{Endpoints, NationalCloud};

#[test]
fn every_cloud_is_parsed_from_its_name() {
    for (name, cloud) in NationalCloud::NAMES.iter().zip(NationalCloud::ALL) {
        assert_eq!(name.parse::<NationalCloud>(), Ok(cloud));
        assert_eq!(cloud.to_string(), *name);
    }
    assert_eq!("US-Gov-High".parse(), Ok(NationalCloud::UsGovHigh));
    assert!("mars".parse::<NationalCloud>().is_err());
}

#[test]
fn hosts_follow_the_design_table() {
    let dod = NationalCloud::UsGovDod.hosts();
    assert_eq!(dod.login, "login.microsoftonline.us");
    assert_eq!(dod.graph, "dod-graph.microsoft.us");
    assert_eq!(dod.exchange, "outlook-dod.office365.us");
    let china = Endpoints::for_cloud(NationalCloud::China);
    assert_eq!(china.graph, "https://microsoftgraph.chinacloudapi.cn");
    assert_eq!(china.exchange, "https://partner.outlook.cn");
    assert_eq!(
        NationalCloud::UsGovHigh.graph_scope(),
        "https://graph.microsoft.us/.default"
    );
}

#[test]
fn every_base_url_can_be_overridden_and_scopes_stay_the_clouds() {
    let endpoints = Endpoints::all_at(NationalCloud::Global, "http://127.0.0.1:9/");
    assert_eq!(endpoints.login, "http://127.0.0.1:9");
    assert_eq!(endpoints.graph, "http://127.0.0.1:9");
    assert_eq!(endpoints.exchange, "http://127.0.0.1:9");
    assert_eq!(
        endpoints.token_url("t"),
        "http://127.0.0.1:9/t/oauth2/v2.0/token"
    );
    assert_eq!(
        endpoints.cloud.exchange_scope(),
        "https://outlook.office365.com/.default"
    );
}
