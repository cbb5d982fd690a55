//! `tenure plugin new`: a plugin project from the templates of `plugins/templates/<language>/`,
//! built into this binary so the command works wherever `tenure` is installed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::args::{PluginLanguage, PluginNewArgs};

/// One file of a template: its path in the new project and its text, in which `{{name}}`
/// becomes the plugin's name and `{{policy}}` the starting policy's description.
type TemplateFile = (&'static str, &'static str);

/// The contract, the same for every language.
const WIT: TemplateFile = (
    "wit/mapper.wit",
    include_str!("../../../../plugins/wit/mapper.wit"),
);
/// The fixtures the starting policy passes, the same for every language.
const FIXTURES: TemplateFile = (
    "fixtures.json",
    include_str!("../../../../plugins/templates/fixtures.json"),
);
/// What the starting policy does, for the README.
const POLICY: &str = include_str!("../../../../plugins/templates/policy.md");

const RUST: &[TemplateFile] = &[
    (
        "Cargo.toml",
        include_str!("../../../../plugins/templates/rust/Cargo.toml"),
    ),
    (
        "Cargo.lock",
        include_str!("../../../../plugins/templates/rust/Cargo.lock"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../../plugins/templates/rust/src/lib.rs"),
    ),
    (
        "README.md",
        include_str!("../../../../plugins/templates/rust/README.md"),
    ),
    (
        ".gitignore",
        include_str!("../../../../plugins/templates/rust/gitignore"),
    ),
];

const JAVASCRIPT: &[TemplateFile] = &[
    (
        "plugin.js",
        include_str!("../../../../plugins/templates/javascript/plugin.js"),
    ),
    (
        "README.md",
        include_str!("../../../../plugins/templates/javascript/README.md"),
    ),
    (
        ".gitignore",
        include_str!("../../../../plugins/templates/javascript/gitignore"),
    ),
];

const TYPESCRIPT: &[TemplateFile] = &[
    (
        "plugin.ts",
        include_str!("../../../../plugins/templates/typescript/plugin.ts"),
    ),
    (
        "mapper.d.ts",
        include_str!("../../../../plugins/templates/typescript/mapper.d.ts"),
    ),
    (
        "tsconfig.json",
        include_str!("../../../../plugins/templates/typescript/tsconfig.json"),
    ),
    (
        "README.md",
        include_str!("../../../../plugins/templates/typescript/README.md"),
    ),
    (
        ".gitignore",
        include_str!("../../../../plugins/templates/typescript/gitignore"),
    ),
];

const PYTHON: &[TemplateFile] = &[
    (
        "plugin.py",
        include_str!("../../../../plugins/templates/python/plugin.py"),
    ),
    (
        "README.md",
        include_str!("../../../../plugins/templates/python/README.md"),
    ),
    (
        ".gitignore",
        include_str!("../../../../plugins/templates/python/gitignore"),
    ),
];

/// The longest name a plugin may have.
const MAX_NAME: usize = 64;

pub(crate) fn new(args: PluginNewArgs) -> Result<()> {
    let name = parse_name(&args.name)?;
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(name));
    ensure_empty(&dir)?;
    let files = match args.lang {
        PluginLanguage::Rust => RUST,
        PluginLanguage::Javascript => JAVASCRIPT,
        PluginLanguage::Typescript => TYPESCRIPT,
        PluginLanguage::Python => PYTHON,
    };
    for (path, text) in files.iter().chain([&WIT, &FIXTURES]) {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        }
        let text = text.replace("{{name}}", name).replace("{{policy}}", POLICY);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "made the {} plugin {name} in {}: the contract (wit/mapper.wit), a starting policy, \
         fixtures.json and a README",
        language_name(args.lang),
        dir.display()
    );
    println!(
        "next: cd {} && tenure plugin build && tenure plugin test plugin.wasm --fixtures fixtures.json",
        dir.display()
    );
    Ok(())
}

fn language_name(language: PluginLanguage) -> &'static str {
    match language {
        PluginLanguage::Rust => "Rust",
        PluginLanguage::Javascript => "JavaScript",
        PluginLanguage::Typescript => "TypeScript",
        PluginLanguage::Python => "Python",
    }
}

/// A plugin's name: 1 to [`MAX_NAME`] lower-case ASCII letters, digits and `-`, starting with a
/// letter and not ending with `-` (a Cargo package name, a folder name on every system).
fn parse_name(name: &str) -> Result<&str> {
    let ok = name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        bail!(
            "{name:?} cannot name a plugin: use 1 to {MAX_NAME} lower-case letters, digits and \
             '-', starting with a letter and not ending with '-' (e.g. acme-mapper)"
        );
    }
    Ok(name)
}

/// Refuses a folder that exists and is not empty (or is not a folder): nothing is ever
/// overwritten.
fn ensure_empty(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{} already exists and is not empty: nothing was written (give a new \
                     folder with --dir, or empty it)",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) if dir.exists() && !dir.is_dir() => Err(error).with_context(|| {
            format!(
                "{} already exists and is not a folder: nothing was written",
                dir.display()
            )
        }),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_names_are_package_and_folder_names() {
        for good in ["a", "acme-mapper", "hr2", &"x".repeat(MAX_NAME)] {
            assert!(parse_name(good).is_ok(), "{good}");
        }
        let too_long = "x".repeat(MAX_NAME + 1);
        for bad in [
            "",
            "Acme",
            "1acme",
            "-acme",
            "acme-",
            "acme_mapper",
            "acme mapper",
            "../acme",
            "acmé",
            &too_long,
        ] {
            assert!(parse_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_template_names_its_files_once_and_has_a_readme_with_the_policy() {
        for files in [RUST, JAVASCRIPT, TYPESCRIPT, PYTHON] {
            let mut paths: Vec<&str> = files.iter().chain([&WIT, &FIXTURES]).map(|f| f.0).collect();
            let count = paths.len();
            paths.sort_unstable();
            paths.dedup();
            assert_eq!(paths.len(), count, "{paths:?}");
            let readme = files.iter().find(|f| f.0 == "README.md").map(|f| f.1);
            assert!(readme.is_some_and(|r| r.contains("{{policy}}") && r.contains("{{name}}")));
        }
    }

    /// `mapper.d.ts` is written by hand: every field and enum case of the WIT's types must be
    /// in it, as componentize-js names them (camelCase fields, kebab-case cases).
    #[test]
    fn the_typescript_types_have_every_field_and_case_of_the_contract() {
        let types = TYPESCRIPT
            .iter()
            .find(|f| f.0 == "mapper.d.ts")
            .map_or("", |f| f.1);
        let mut in_enum = false;
        for line in WIT.1.lines().map(str::trim) {
            if line.starts_with("enum ") {
                in_enum = true;
            } else if line.starts_with('}') {
                in_enum = false;
            } else if in_enum && let Some(case) = line.strip_suffix(',') {
                assert!(types.contains(&format!("'{case}'")), "enum case {case}");
            } else if let Some((field, _)) = line.split_once(": ")
                && !line.starts_with("//")
                && !line.contains("func(")
                && !line.starts_with('%')
            {
                let camel: String = field
                    .split('-')
                    .enumerate()
                    .map(|(i, part)| {
                        if i == 0 {
                            part.to_owned()
                        } else {
                            part[..1].to_uppercase() + &part[1..]
                        }
                    })
                    .collect();
                assert!(
                    types.contains(&format!("  {camel}: "))
                        || types.contains(&format!("  {camel}?: ")),
                    "field {field} ({camel})"
                );
            }
        }
    }
}
