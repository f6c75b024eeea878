//! `--config`, `--credentials`, `--state` and `--params` values: a JSON
//! document given inline or as a file path.

use std::path::Path;

use serde_json::Value;

/// Reads a `FILE|JSON` argument. Text that starts like a JSON object or
/// array is JSON; anything else is a path to a JSON file. The error names
/// the flag, the file and where the JSON breaks.
pub(crate) fn json_arg(flag: &str, text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return serde_json::from_str(text)
            .map_err(|e| format!("{flag}: the JSON given is not valid: {e}"));
    }
    let path = Path::new(text);
    let contents = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{flag}: cannot read `{}`: {e} (give a JSON file or inline JSON)",
            path.display()
        )
    })?;
    serde_json::from_str(&contents)
        .map_err(|e| format!("{flag}: `{}` is not valid JSON: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_files() {
        assert_eq!(json_arg("--config", r#"{"a":1}"#).unwrap()["a"], 1);
        let err = json_arg("--config", "{nope").unwrap_err();
        assert!(
            err.starts_with("--config: the JSON given is not valid"),
            "{err}"
        );
        let err = json_arg("--state", "/no/such/file.json").unwrap_err();
        assert!(
            err.contains("--state") && err.contains("/no/such/file.json"),
            "{err}"
        );
        let dir = std::env::temp_dir().join(format!("omni-cli-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.json");
        std::fs::write(&file, "{\n  \"a\": \n}").unwrap();
        let err = json_arg("--config", file.to_str().unwrap()).unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        std::fs::write(&file, "[1, 2]").unwrap();
        assert_eq!(
            json_arg("--config", file.to_str().unwrap()).unwrap(),
            serde_json::json!([1, 2])
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
