//! Parses and evaluates arbitrary text as an IML template, both as given and
//! wrapped in `{{…}}`, against a scope with a few module outputs. Any panic,
//! stack overflow or runaway allocation is a bug: errors must be values.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use runbox_workflow::iml::{check, Scope, Template};
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut outputs = BTreeMap::new();
    outputs.insert(1, json!({"name": "Ada", "n": 5, "items": [{"a": 1}, {"a": "x"}], "date": "2024-01-15T10:30:00.000Z"}));
    outputs.insert(2, json!([1, 2.5, "3", null, true]));
    let vars = json!({"input": {"x": "y"}, "scenario": {"id": 1}, "execution": {"id": "e"}});
    let scope = Scope { outputs: &outputs, vars: &vars };
    for candidate in [text.to_owned(), format!("{{{{{text}}}}}")] {
        if let Ok(template) = Template::parse(&candidate) {
            let _ = template.eval(scope);
        }
        let _ = check(&Value::String(candidate));
    }
});
