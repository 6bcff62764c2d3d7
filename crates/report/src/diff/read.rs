//! Reading run directories for the diff: the marker, bounded reads of regular files only, the
//! tree of files, and the shape checks on manifest.json and verdict.json that make a directory
//! comparable. Everything here returns a message naming the file (and key) instead of panicking,
//! because its input is whatever a user points `diff` at.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::marker::{FORMAT, MARKER_FILE, OutputKind, read_marker};

/// The largest file a run directory may hold for the diff to read it. The biggest evidence
/// table overparam writes is well under 1 MiB; a file past this limit is not something
/// `overparam run` wrote, and reading it whole could exhaust memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// How deep the diff walks below a run directory: overparam writes `DIR/<claim>/<file>`.
const MAX_DEPTH: usize = 4;

/// How many entries the diff accepts in one run directory (a full run holds about a hundred).
const MAX_ENTRIES: usize = 100_000;

/// The longest echo of user-controlled text (names, keys, values) in a message.
pub(crate) const ECHO_CHARS: usize = 80;

/// `text` cut to `max` characters, with an ellipsis when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(3)).collect();
        s.push_str("...");
        s
    }
}

/// Reads a regular file of at most [`MAX_FILE_BYTES`]. Symlinks, FIFOs and devices are refused
/// before they are opened (opening a FIFO blocks; /dev/zero never ends).
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    check_regular(path, &meta)?;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_FILE_BYTES) as usize);
    // Take one byte more than the limit so a file that grew after the check is still refused.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(path, bytes.len() as u64));
    }
    Ok(bytes)
}

fn too_large(path: &Path, len: u64) -> String {
    format!(
        "{} is {len} bytes, more than the {} MiB a run directory file may hold; it was not \
         written by overparam run",
        path.display(),
        MAX_FILE_BYTES >> 20
    )
}

fn check_regular(path: &Path, meta: &std::fs::Metadata) -> Result<(), String> {
    let ft = meta.file_type();
    if ft.is_file() {
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_large(path, meta.len()));
        }
        return Ok(());
    }
    let what = if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file (a FIFO, socket or device)"
    };
    Err(format!(
        "{} is {what}; a run directory holds only regular files and directories",
        path.display()
    ))
}

/// The parts of manifest.json the diff relies on.
#[derive(Debug, Clone)]
pub(crate) struct ManifestView {
    pub profile: String,
    pub master_seed: u64,
    pub claims: Vec<String>,
}

fn key_error(name: &str, key: &str, what: &str) -> String {
    format!("{name}: key `{key}` {what}; this is not a manifest of an overparam run")
}

/// Parses and checks manifest.json: a JSON object with `profile` (string), `master_seed`
/// (unsigned integer) and `claims` (array of objects whose `id` is a plain directory name,
/// each once). `name` is how messages refer to the file.
pub(crate) fn parse_manifest(bytes: &[u8], name: &str) -> Result<ManifestView, String> {
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| format!("{name} is not valid JSON: {e}"))?;
    let Json::Object(map) = &json else {
        return Err(format!(
            "{name} is not a JSON object (found {}); this is not a manifest of an overparam run",
            kind_of(&json)
        ));
    };
    let profile = match map.get("profile") {
        None => return Err(key_error(name, "profile", "is missing")),
        Some(Json::String(s)) => s.clone(),
        Some(_) => return Err(key_error(name, "profile", "is not a string")),
    };
    let master_seed = match map.get("master_seed") {
        None => return Err(key_error(name, "master_seed", "is missing")),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| key_error(name, "master_seed", "is not an unsigned integer"))?,
    };
    let list = match map.get("claims") {
        None => return Err(key_error(name, "claims", "is missing")),
        Some(Json::Array(a)) => a,
        Some(_) => return Err(key_error(name, "claims", "is not an array")),
    };
    let mut claims = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let key = format!("claims[{i}].id");
        let id = match c.get("id") {
            None => return Err(key_error(name, &key, "is missing")),
            Some(Json::String(s)) => s,
            Some(_) => return Err(key_error(name, &key, "is not a string")),
        };
        if !is_plain_name(id) {
            return Err(key_error(
                name,
                &key,
                &format!("('{}') is not a plain directory name", clip(id, ECHO_CHARS)),
            ));
        }
        if claims.contains(id) {
            return Err(key_error(
                name,
                &key,
                &format!("('{}') is listed twice", clip(id, ECHO_CHARS)),
            ));
        }
        claims.push(id.clone());
    }
    Ok(ManifestView {
        profile,
        master_seed,
        claims,
    })
}

/// A claim id names a directory inside the run directory: one non-empty path component, so that
/// joining it can never leave the run directory.
fn is_plain_name(id: &str) -> bool {
    !id.is_empty()
        && id != "."
        && id != ".."
        && !id.contains(['/', '\\', '\0'])
        && !id.starts_with('.')
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Parses and checks a claim's verdict.json: a JSON object with `verdict` (string), `criteria`
/// (array of objects with a string `name`) and `controls` (array of objects with a string
/// `name` and an object `criterion`). Other keys may be missing; the diff prints them as
/// "missing".
pub(crate) fn parse_verdict(bytes: &[u8], name: &str) -> Result<Json, String> {
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| format!("{name} is not valid JSON: {e}"))?;
    let bad = |key: &str, what: &str| {
        format!("{name}: key `{key}` {what}; this is not a verdict of an overparam run")
    };
    if !json.is_object() {
        return Err(format!(
            "{name} is not a JSON object (found {}); this is not a verdict of an overparam run",
            kind_of(&json)
        ));
    }
    match json.get("verdict") {
        None => return Err(bad("verdict", "is missing")),
        Some(v) if !v.is_string() => return Err(bad("verdict", "is not a string")),
        Some(_) => {}
    }
    for key in ["criteria", "controls"] {
        let items = match json.get(key) {
            None => return Err(bad(key, "is missing")),
            Some(Json::Array(a)) => a,
            Some(_) => return Err(bad(key, "is not an array")),
        };
        let mut names = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            match item.get("name") {
                None => return Err(bad(&format!("{key}[{i}].name"), "is missing")),
                Some(Json::String(s)) => {
                    if !names.insert(s.as_str()) {
                        return Err(bad(
                            &format!("{key}[{i}].name"),
                            &format!("('{}') is listed twice", clip(s, ECHO_CHARS)),
                        ));
                    }
                }
                Some(_) => return Err(bad(&format!("{key}[{i}].name"), "is not a string")),
            }
            if key == "controls" && !item.get("criterion").is_some_and(Json::is_object) {
                return Err(bad(
                    &format!("{key}[{i}].criterion"),
                    "is missing or not an object",
                ));
            }
        }
    }
    Ok(json)
}

/// A run directory, checked: its marker says `run` in this build's format, its manifest has the
/// keys the diff needs, and every entry below it is a regular file or directory.
pub(crate) struct RunDir {
    pub root: PathBuf,
    pub manifest: ManifestView,
    /// Every regular file, as a `/`-separated path relative to the root.
    pub files: BTreeSet<String>,
    /// Every directory, likewise.
    pub dirs: BTreeSet<String>,
}

/// Opens `dir` as a run directory, or says why it is not one.
pub(crate) fn open_run(dir: &Path) -> Result<RunDir, String> {
    let shown = dir.display();
    let meta =
        std::fs::metadata(dir).map_err(|e| format!("cannot read run directory {shown}: {e}"))?;
    if !meta.is_dir() {
        return Err(format!("{shown} is not a directory"));
    }
    let marker = read_marker(dir)
        .map_err(|e| format!("{shown} is not a run directory written by overparam: {e}"))?;
    match marker.output_kind() {
        Some(OutputKind::Run) => {}
        Some(kind) => {
            return Err(format!(
                "{shown} holds the output of `overparam {}`, not of `overparam run`; diff \
                 compares run directories only",
                kind.name()
            ));
        }
        None => {
            return Err(format!(
                "{shown}: its {MARKER_FILE} marker names the unknown kind '{}'",
                clip(&marker.kind, ECHO_CHARS)
            ));
        }
    }
    if marker.format != FORMAT {
        return Err(format!(
            "{shown} is a run directory of layout format {} (overparam {}); this build reads \
             format {FORMAT}",
            marker.format,
            clip(&marker.version, ECHO_CHARS)
        ));
    }
    let manifest_path = dir.join("manifest.json");
    let manifest = parse_manifest(
        &read_bounded(&manifest_path)?,
        &manifest_path.display().to_string(),
    )?;
    let mut files = BTreeSet::new();
    let mut dirs = BTreeSet::new();
    walk(dir, "", 0, &mut files, &mut dirs)?;
    Ok(RunDir {
        root: dir.to_owned(),
        manifest,
        files,
        dirs,
    })
}

fn walk(
    root: &Path,
    relative: &str,
    depth: usize,
    files: &mut BTreeSet<String>,
    dirs: &mut BTreeSet<String>,
) -> Result<(), String> {
    let here = if relative.is_empty() {
        root.to_owned()
    } else {
        root.join(relative)
    };
    if depth > MAX_DEPTH {
        return Err(format!(
            "{} is nested more than {MAX_DEPTH} levels deep; overparam run writes DIR/<claim>/<file>",
            here.display()
        ));
    }
    let entries =
        std::fs::read_dir(&here).map_err(|e| format!("cannot read {}: {e}", here.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", here.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(format!(
                "{} has a name that is not UTF-8; overparam never writes such names",
                path.display()
            ));
        };
        let rel = if relative.is_empty() {
            name.to_owned()
        } else {
            format!("{relative}/{name}")
        };
        if files.len() + dirs.len() >= MAX_ENTRIES {
            return Err(format!(
                "{} holds more than {MAX_ENTRIES} entries; it is not a run directory",
                root.display()
            ));
        }
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if meta.is_dir() {
            dirs.insert(rel.clone());
            walk(root, &rel, depth + 1, files, dirs)?;
        } else {
            check_regular(&path, &meta)?;
            files.insert(rel);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_without_the_needed_keys_are_refused_by_name() {
        for (text, key) in [
            ("{}", "profile"),
            (r#"{"profile":"quick"}"#, "master_seed"),
            (
                r#"{"profile":"quick","master_seed":-1,"claims":[]}"#,
                "master_seed",
            ),
            (r#"{"profile":"quick","master_seed":1}"#, "claims"),
            (
                r#"{"profile":"quick","master_seed":1,"claims":{}}"#,
                "claims",
            ),
            (
                r#"{"profile":"quick","master_seed":1,"claims":[{}]}"#,
                "claims[0].id",
            ),
            (
                r#"{"profile":"quick","master_seed":1,"claims":[{"id":"../x"}]}"#,
                "claims[0].id",
            ),
            (
                r#"{"profile":"quick","master_seed":1,"claims":[{"id":"a"},{"id":"a"}]}"#,
                "claims[1].id",
            ),
        ] {
            let e = parse_manifest(text.as_bytes(), "m.json").unwrap_err();
            assert!(
                e.contains(&format!("`{key}`")) && e.contains("m.json"),
                "{text}: {e}"
            );
        }
        let e = parse_manifest(b"[1,2]", "m.json").unwrap_err();
        assert!(
            e.contains("not a JSON object") && e.contains("an array"),
            "{e}"
        );
        let ok = parse_manifest(
            br#"{"profile":"quick","master_seed":7,"claims":[{"id":"a.b"}]}"#,
            "m",
        )
        .unwrap();
        assert_eq!((ok.master_seed, ok.claims), (7, vec!["a.b".to_owned()]));
    }

    #[test]
    fn verdicts_without_the_needed_keys_are_refused_by_name() {
        for (text, key) in [
            ("{}", "verdict"),
            (r#"{"verdict":1}"#, "verdict"),
            (r#"{"verdict":"pass","controls":[]}"#, "criteria"),
            (
                r#"{"verdict":"pass","criteria":[{}],"controls":[]}"#,
                "criteria[0].name",
            ),
            (
                r#"{"verdict":"pass","criteria":[],"controls":[{"name":"c"}]}"#,
                "controls[0].criterion",
            ),
        ] {
            let e = parse_verdict(text.as_bytes(), "v.json").unwrap_err();
            assert!(e.contains(&format!("`{key}`")), "{text}: {e}");
        }
        assert!(parse_verdict(b"[]", "v").is_err());
        assert!(parse_verdict(br#"{"verdict":"pass","criteria":[],"controls":[]}"#, "v").is_ok());
    }

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text() {
        assert_eq!(clip("abc", 80), "abc");
        let long = "x".repeat(5000);
        assert_eq!(clip(&long, 80).chars().count(), 80);
        assert_eq!(clip("ééééé", 4), "é...");
    }
}
