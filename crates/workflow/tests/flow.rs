//! Executor: data flow through modules, bundles, iterators and
//! aggregators, outputs and operations. No sandbox, no network.

mod common;

use common::*;
use runbox_workflow::ScenarioStatus;
use serde_json::json;

#[tokio::test]
async fn set_variable_with_functions_and_return_data() {
    let flow = json!([
        start(),
        m(
            2,
            "util:SetVariable2",
            json!({"name": "greeting", "value": "{{upper(1.name)}} has {{length(1.items)}} items"})
        ),
        returning(
            3,
            json!({"greeting": "{{2.greeting}}", "count": "{{length(1.items)}}", "scenario": "{{var.scenario.id}}"})
        ),
    ]);
    let report = run(flow, json!({"name": "ada", "items": [1, 2]})).await;
    assert_eq!(report.status, ScenarioStatus::Completed);
    assert_eq!(
        report.outputs,
        json!({"greeting": "ADA has 2 items", "count": 2, "scenario": 42})
    );
    assert_eq!(report.operations, 1, "scenario-service modules are free");
    assert_eq!(
        trail(&report),
        [
            (1, "completed".into()),
            (2, "completed".into()),
            (3, "completed".into())
        ]
    );
    let set = &report.modules[1];
    assert_eq!(set.name, "util:SetVariable2");
    assert_eq!(
        set.input,
        json!({"name": "greeting", "value": "ADA has 2 items"})
    );
    assert_eq!(set.output, json!({"greeting": "ADA has 2 items"}));
    assert_eq!(set.bundle, 1);
    assert_eq!(
        report.modules[0].output,
        json!({"name": "ada", "items": [1, 2]})
    );
    assert!(report.error.is_none() && report.resume.is_none());
}

#[tokio::test]
async fn parse_json_nested_values_with_one_based_indexes() {
    let flow = json!([
        start(),
        m(
            2,
            "json:ParseJSON",
            json!({"json": "{{var.input.payload}}"})
        ),
        returning(
            3,
            json!({"second": "{{2.order.items[2].sku}}", "first": "{{first(2.order.items).sku}}", "n": "{{2.order.total * 2}}"})
        ),
    ]);
    let payload = r#"{"order": {"items": [{"sku": "A1"}, {"sku": "B2"}], "total": 21}}"#;
    let report = run(flow, json!({"payload": payload})).await;
    assert_eq!(
        report.outputs,
        json!({"second": "B2", "first": "A1", "n": 42})
    );
    assert_eq!(report.operations, 1);
}

#[tokio::test]
async fn parse_json_array_gives_one_bundle_per_item() {
    let flow = json!([
        start(),
        m(
            2,
            "json:ParseJSON",
            json!({"json": "[{\"n\": 1}, {\"n\": 2}, 3]"})
        ),
        m(
            3,
            "util:SetVariable2",
            json!({"name": "n", "value": "{{ifempty(2.n; 2.value)}}"})
        ),
    ]);
    let report = run(flow, json!({})).await;
    assert_eq!(report.status, ScenarioStatus::Completed);
    assert_eq!(
        report.modules[1].output,
        json!([{"n": 1}, {"n": 2}, {"value": 3}])
    );
    let sets: Vec<_> = report
        .modules
        .iter()
        .filter(|r| r.id == 3)
        .map(|r| (r.bundle, r.output.clone()))
        .collect();
    assert_eq!(
        sets,
        [
            (1, json!({"n": 1})),
            (2, json!({"n": 2})),
            (3, json!({"n": 3}))
        ]
    );
    assert_eq!(report.operations, 4);
    assert_eq!(report.outputs, json!({}), "no ReturnData: empty outputs");
}

#[tokio::test]
async fn iterator_and_aggregator_over_an_input_array() {
    let mut aggregator = m(
        4,
        "builtin:BasicAggregator",
        json!({"value": "{{3.doubled}}"}),
    );
    aggregator["parameters"] = json!({"feeder": 2});
    let flow = json!([
        start(),
        m(2, "builtin:BasicFeeder", json!({"array": "{{1.items}}"})),
        m(
            3,
            "util:SetVariable2",
            json!({"name": "doubled", "value": "{{2.value * 2}}/{{2.__IMTINDEX__}}/{{2.__IMTLENGTH__}}"})
        ),
        aggregator,
        returning(
            5,
            json!({"result": "{{4.array}}", "count": "{{length(4.array)}}", "still": "{{1.tag}}"})
        ),
    ]);
    let report = run(flow, json!({"items": [1, 2, 3], "tag": "t"})).await;
    assert_eq!(report.status, ScenarioStatus::Completed);
    assert_eq!(
        report.outputs,
        json!({"result": ["2/1/3", "4/2/3", "6/3/3"], "count": 3, "still": "t"})
    );
    assert_eq!(
        report.operations,
        1 + 3 + 1,
        "iterator once, setter per item, aggregator once"
    );
    let ids: Vec<i64> = report.modules.iter().map(|r| r.id).collect();
    assert_eq!(ids, [1, 2, 3, 3, 3, 4, 5]);
}

#[tokio::test]
async fn iterator_items_that_are_collections_keep_their_fields() {
    let mut aggregator = m(
        4,
        "builtin:BasicAggregator",
        json!({"value": "{{2.name}}@{{2.value.age}}"}),
    );
    aggregator["parameters"] = json!({"feeder": 2});
    let flow = json!([
        start(),
        m(2, "builtin:BasicFeeder", json!({"array": "{{1.people}}"})),
        aggregator,
        returning(5, json!({"names": "{{join(4.array; , )}}"})),
    ]);
    let report = run(
        flow,
        json!({"people": [{"name": "a", "age": 1}, {"name": "b", "age": 2}]}),
    )
    .await;
    assert_eq!(report.outputs, json!({"names": "a@1,b@2"}));
}

#[tokio::test]
async fn empty_iterator_aggregates_to_an_empty_array() {
    let mut aggregator = m(
        3,
        "builtin:BasicAggregator",
        json!({"value": "{{2.value}}"}),
    );
    aggregator["parameters"] = json!({"feeder": "2"});
    let flow = json!([
        start(),
        m(2, "builtin:BasicFeeder", json!({"array": "{{1.none}}"})),
        aggregator,
        returning(4, json!({"a": "{{3.array}}"}))
    ]);
    let report = run(flow, json!({})).await;
    assert_eq!(report.outputs, json!({"a": []}));
}

#[tokio::test]
async fn the_first_return_data_ends_the_run() {
    let flow = json!([
        start(),
        returning(2, json!({"done": true})),
        m(3, "util:SetVariable2", json!({"name": "never", "value": 1})),
    ]);
    let report = run(flow, json!({})).await;
    assert_eq!(report.outputs, json!({"done": true}));
    assert_eq!(report.modules.len(), 2);
    assert_eq!(report.operations, 0);
}

#[tokio::test]
async fn set_variables_create_json_and_python() {
    let flow = json!([
        start(),
        m(
            2,
            "util:SetVariables",
            json!({"variables": [{"name": "a", "value": "{{1.x}}"}, {"name": "b", "value": "{{1.x + 1}}"}]})
        ),
        m(
            3,
            "json:CreateJSON",
            json!({"object": {"a": "{{2.a}}", "b": "{{2.b}}"}})
        ),
        m(
            4,
            "code:ExecutePython",
            json!({"code": "return input", "input": {"json": "{{3.json}}"}})
        ),
        returning(
            5,
            json!({"json": "{{3.json}}", "python": "{{4.result.json}}", "stdout": "{{4.stdout}}", "exit": "{{4.exit_code}}"})
        ),
    ]);
    let report = run(flow, json!({"x": 1})).await;
    assert_eq!(
        report.status,
        ScenarioStatus::Completed,
        "{:?}",
        report.error
    );
    assert_eq!(
        report.outputs,
        json!({"json": "{\"a\":1,\"b\":2}", "python": "{\"a\":1,\"b\":2}", "stdout": "ran\n", "exit": 0})
    );
    assert_eq!(report.modules[1].output, json!({"a": 1, "b": 2}));
    assert_eq!(report.operations, 3);
}

/// A long chain of modules walks in a loop, not one nested call per
/// module: it once overflowed the stack at 300 modules.
#[tokio::test]
async fn a_thousand_modules_in_a_row_run_without_growing_the_stack() {
    let mut flow = vec![start()];
    for id in 2..1000 {
        flow.push(m(
            id,
            "util:SetVariable2",
            json!({"name": "n", "value": format!("{{{{{}.n + 1}}}}", id - 1)}),
        ));
    }
    flow.push(returning(1000, json!({"n": "{{999.n}}"})));
    flow[1] = m(2, "util:SetVariable2", json!({"name": "n", "value": 2}));
    let report = run(json!(flow), json!({})).await;
    assert_eq!(
        report.status,
        ScenarioStatus::Completed,
        "{:?}",
        report.error
    );
    assert_eq!(report.outputs, json!({"n": 999}));
}
