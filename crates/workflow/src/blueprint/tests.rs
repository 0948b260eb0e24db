//! Blueprint parsing and validation: every refusal names the module.

use serde_json::{json, Value};

use super::*;

fn module(id: i64, kind: &str) -> Value {
    json!({"id": id, "module": kind, "version": 1, "mapper": {}, "metadata": {"designer": {"x": 0, "y": 0}}})
}

fn blueprint(flow: Value) -> Value {
    json!({"name": "test", "flow": flow, "metadata": {"instant": false, "version": 1}})
}

fn refuse(flow: Value) -> BlueprintError {
    load_blueprint(&blueprint(flow)).expect_err("should be refused")
}

#[test]
fn accepts_objects_and_json_strings_and_keeps_extra_fields() {
    let mut start = module(1, "scenario-service:StartSubscenario");
    start["parameters"] = json!({"custom": true});
    start["futureField"] = json!({"kept": 1});
    let value = blueprint(
        json!([start, {"id": 2, "module": "scenario-service:ReturnData", "mapper": {"a": "{{1.a}}"}}]),
    );
    let parsed = load_blueprint(&value).unwrap();
    assert_eq!(parsed.flow.len(), 2);
    assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
    let from_text = load_blueprint(&Value::String(value.to_string())).unwrap();
    assert_eq!(from_text, parsed);
}

#[test]
fn malformed_blueprints_are_refused() {
    for (value, words) in [
        (json!("{not json"), "not valid JSON"),
        (json!([1, 2]), "must be a JSON object"),
        (json!({"name": "x"}), "missing field `flow`"),
        (
            json!({"flow": [{"id": "one", "module": "util:SetVariable2"}]}),
            "invalid blueprint",
        ),
        (json!({"flow": []}), "no module"),
    ] {
        let error = load_blueprint(&value).unwrap_err();
        assert!(error.to_string().contains(words), "{value}: {error}");
        assert_eq!(error.module(), None);
    }
}

#[test]
fn unknown_modules_are_refused_by_name() {
    let error = refuse(json!([
        module(1, "util:SetVariable2"),
        module(7, "google-sheets:addRow")
    ]));
    assert_eq!(
        error,
        BlueprintError::UnknownModule {
            id: 7,
            module: "google-sheets:addRow".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "module 7 (google-sheets:addRow): unknown module type"
    );
    assert_eq!(error.module(), Some((7, "google-sheets:addRow")));
}

#[test]
fn duplicate_ids_are_refused_across_routes_and_handlers() {
    let router = json!({"id": 2, "module": "builtin:BasicRouter", "routes": [
        {"flow": [module(3, "util:SetVariable2")]},
        {"flow": [module(1, "json:CreateJSON")]},
    ]});
    let error = refuse(json!([module(1, "util:SetVariable2"), router]));
    assert_eq!(
        error,
        BlueprintError::DuplicateId {
            id: 1,
            module: "json:CreateJSON".into()
        }
    );
    let mut failing = module(2, "json:ParseJSON");
    failing["onerror"] = json!([module(2, "builtin:Ignore")]);
    assert!(matches!(
        refuse(json!([failing])),
        BlueprintError::DuplicateId { id: 2, .. }
    ));
}

#[test]
fn unparsable_expressions_name_module_and_field() {
    let mut bad = module(4, "util:SetVariable2");
    bad["mapper"] = json!({"name": "x", "value": "{{upper(1.name}}"});
    let error = refuse(json!([module(1, "scenario-service:StartSubscenario"), bad]));
    let BlueprintError::Expression {
        id,
        module: kind,
        field,
        error: iml,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(
        (*id, kind.as_str(), field.as_str()),
        (4, "util:SetVariable2", "mapper.value")
    );
    assert!(iml.message.contains("never closed"));
    assert!(
        error
            .to_string()
            .starts_with("module 4 (util:SetVariable2): mapper.value: "),
        "{error}"
    );

    let mut nested = module(5, "http:MakeRequest");
    nested["mapper"] =
        json!({"url": "https://x", "headers": [{"name": "a", "value": "{{nosuch(1)}}"}]});
    let error = refuse(json!([nested]));
    assert!(
        error.to_string().contains("mapper.headers[1].value"),
        "{error}"
    );
    assert!(
        error.to_string().contains("unknown function `nosuch`"),
        "{error}"
    );

    let mut filtered = module(6, "util:SetVariable2");
    filtered["filter"] = json!({"name": "f", "conditions": [[{"a": "{{1.x}}", "o": "exist"}], [{"a": "{{1 +}}", "o": "text:equal", "b": "y"}]]});
    let error = refuse(json!([filtered]));
    assert!(
        error
            .to_string()
            .contains("module 6 (util:SetVariable2): filter.conditions[2][1].a"),
        "{error}"
    );
}

#[test]
fn structural_mistakes_name_the_module() {
    let mut unknown_operator = module(3, "util:SetVariable2");
    unknown_operator["filter"] =
        json!({"name": "f", "conditions": [[{"a": "1", "o": "text:resembles", "b": "2"}]]});
    let router_without_routes = json!({"id": 4, "module": "builtin:BasicRouter"});
    let router_not_last = json!({"id": 4, "module": "builtin:BasicRouter", "routes": [{"flow": [module(5, "util:SetVariable2")]}]});
    let mut aggregator_without_feeder = module(6, "builtin:BasicAggregator");
    aggregator_without_feeder["parameters"] = json!({});
    let mut aggregator_wrong_feeder = module(6, "builtin:BasicAggregator");
    aggregator_wrong_feeder["parameters"] = json!({"feeder": 1});
    let cases = [
        (json!([unknown_operator]), 3, "unknown filter operator"),
        (
            json!([module(1, "util:SetVariable2"), module(2, "builtin:Ignore")]),
            2,
            "error route",
        ),
        (
            json!([
                module(1, "util:SetVariable2"),
                module(2, "scenario-service:StartSubscenario")
            ]),
            2,
            "first module",
        ),
        (json!([router_without_routes]), 4, "at least one route"),
        (
            json!([router_not_last, module(9, "util:SetVariable2")]),
            4,
            "last module",
        ),
        (
            json!([module(1, "builtin:BasicFeeder"), aggregator_without_feeder]),
            6,
            "parameters.feeder",
        ),
        (
            json!([module(1, "util:SetVariable2"), aggregator_wrong_feeder]),
            6,
            "not an iterator",
        ),
        (
            json!([{"id": 8, "module": "util:SetVariable2", "routes": []}]),
            8,
            "only routers",
        ),
    ];
    for (flow, id, words) in cases {
        let error = refuse(flow);
        assert_eq!(error.module().map(|m| m.0), Some(id), "{error}");
        assert!(error.to_string().contains(words), "{error}");
    }
}

#[test]
fn directives_must_end_error_routes() {
    let mut failing = module(2, "json:ParseJSON");
    failing["onerror"] = json!([module(3, "builtin:Resume"), module(4, "util:SetVariable2")]);
    let error = refuse(json!([failing]));
    assert_eq!(error.module(), Some((3, "builtin:Resume")));
    let mut fine = module(2, "json:ParseJSON");
    fine["onerror"] = json!([module(3, "util:SetVariable2"), module(4, "builtin:Break")]);
    assert!(load_blueprint(&blueprint(json!([fine]))).is_ok());
}

#[test]
fn display_names_prefer_the_designer_label() {
    let mut labelled = module(1, "http:MakeRequest");
    labelled["metadata"] = json!({"designer": {"x": 1, "name": "Fetch orders"}});
    let parsed =
        load_blueprint(&blueprint(json!([labelled, module(2, "json:ParseJSON")]))).unwrap();
    assert_eq!(parsed.flow[0].display_name(), "Fetch orders");
    assert_eq!(parsed.flow[1].display_name(), "json:ParseJSON");
}

#[test]
fn size_and_nesting_are_bounded() {
    let long: Vec<Value> = (1..=1001)
        .map(|id| module(id, "util:SetVariable2"))
        .collect();
    let error = refuse(json!(long));
    assert!(
        error.to_string().contains("at most 1000 modules"),
        "{error}"
    );
    let fine: Vec<Value> = (1..=1000)
        .map(|id| module(id, "util:SetVariable2"))
        .collect();
    assert!(load_blueprint(&blueprint(json!(fine))).is_ok());

    // Routers nested in routers, 20 deep.
    let mut flow = json!([module(1000, "util:SetVariable2")]);
    for id in (1..=20).rev() {
        flow = json!([{"id": id, "module": "builtin:BasicRouter", "routes": [{"flow": flow}]}]);
    }
    let error = refuse(flow);
    assert!(error.to_string().contains("nest at most"), "{error}");
}
