//! `data/NAME.yaml` files, exposed to templates as `data.NAME`, with their
//! text kept so that a value read from one can be checked at its line.

use crate::base::diagnostics::{display_path, Diagnostic, Diagnostics};
use crate::base::fs;
use crate::base::yaml::Source;
use crate::base::yaml::{Mapping, Value};
use std::collections::HashMap;
use std::path::Path;

pub(crate) const DATA_DIR: &str = "data";

/// The site's data: one mapping keyed by file stem, and each file's path
/// and text.
#[derive(Debug, Default)]
pub(crate) struct Data {
    pub value: Value,
    files: HashMap<String, (String, String)>,
}

impl Data {
    /// The text of the file that holds `data.STEM`, for positions in it.
    pub(crate) fn source(&self, stem: &str) -> Option<Source<'_>> {
        let (file, text) = self.files.get(stem)?;
        Some(Source::new(text, file, 1))
    }
}

/// Reads every `*.yaml` / `*.yml` file at the top of `SITE/data` into one
/// mapping keyed by file stem; every bad file is reported.
pub(crate) fn load(site: &Path) -> Result<Data, Diagnostics> {
    let dir = site.join(DATA_DIR);
    let mut data = Mapping::new();
    let mut files = HashMap::new();
    if !dir.is_dir() {
        return Ok(Data {
            value: Value::Mapping(data),
            files,
        });
    }
    let mut diagnostics = Diagnostics::new();
    let mut paths: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
        Err(e) => {
            return Err(Diagnostics::from_iter([Diagnostic::error(
                "io",
                DATA_DIR,
                format!("cannot read: {e}"),
            )]))
        }
    };
    paths.sort();
    for path in paths {
        let is_yaml = path.extension().is_some_and(|x| x == "yaml" || x == "yml");
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if !is_yaml || !path.is_file() || fs::is_editor_junk(path.file_name().unwrap_or_default()) {
            continue;
        }
        let file = display_path(site, &path);
        let text =
            fs::read_to_string(&path).map_err(|e| Diagnostic::error("io", &file, e.to_string()));
        let value = (text.as_ref().map_err(Clone::clone))
            .and_then(|text| Source::new(text, &file, 1).parse_value());
        match value {
            Ok(value) if data.contains_key(stem) => {
                let message = format!("data.{stem} is defined by two files");
                diagnostics.push(
                    Diagnostic::error("duplicate-data", &file, message)
                        .with_hint("keep one of NAME.yaml and NAME.yml"),
                );
                drop(value);
            }
            Ok(value) => {
                data.insert(Value::String(stem.to_string()), value);
                files.insert(stem.to_string(), (file, text.unwrap_or_default()));
            }
            Err(d) => diagnostics.push(d),
        }
    }
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(Data {
            value: Value::Mapping(data),
            files,
        })
    }
}
