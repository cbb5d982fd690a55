//! Rebuilds `samplesdata/directory.json`: the sample tenant as Tenure's own syncs of the HR
//! history left it, plus two changes an administrator made by hand (a membership in a group no
//! rule manages, and a license no rule manages). Run: `cargo run -p tenure --example sample_directory`.

use std::path::Path;

use tenure::directory::{AssignedLicense, Snapshot};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata");
    let directory = sample_directory(&samples)?;
    let out = samples.join("directory.json");
    std::fs::write(&out, serde_json::to_string_pretty(&directory)? + "\n")?;
    println!("wrote {} ({} users)", out.display(), directory.users.len());
    Ok(())
}

/// The sample tenant after its history.
fn sample_directory(samples: &Path) -> Result<Snapshot, Box<dyn std::error::Error>> {
    let tenant = Snapshot::read(&samples.join("history/tenant.json"))?;
    let config = std::fs::read_to_string(samples.join("mapper.json"))?;
    let mut history = Vec::new();
    for day in ["2026-01-05", "2026-07-01", "2026-11-24"] {
        let hr = tenure::hr::read_file(&samples.join(format!("history/{day}.csv")))?;
        history.push((day.parse()?, hr));
    }
    let mut directory = tenure::synthetic::replay(tenant, history, &config)?;
    let by_employee = |directory: &Snapshot, id: &str| {
        directory
            .users
            .iter()
            .position(|u| u.employee_id.as_deref() == Some(id))
            .ok_or(format!("no user for employee {id}"))
    };
    let tomas = by_employee(&directory, "1021")?;
    let tomas_id = directory.users[tomas].id.clone();
    if let Some(book_club) = directory
        .groups
        .iter_mut()
        .find(|g| g.display_name == "Book Club")
    {
        book_club.members.push(tomas_id);
    }
    let yuki = by_employee(&directory, "1022")?;
    directory.users[yuki]
        .assigned_licenses
        .push(AssignedLicense {
            sku_id: "f8a1db68-be16-40ed-86d5-cb42ce701560".into(),
            disabled_plans: Vec::new(),
        });
    Ok(directory)
}
