//! Executor: routers and filters.

mod common;

use common::*;
use runbox_workflow::ModuleStatus;
use serde_json::json;

#[tokio::test]
async fn router_runs_routes_in_order_and_filters_decide() {
    let is_a =
        json!({"name": "is a", "conditions": [[{"a": "{{1.kind}}", "o": "text:equal", "b": "a"}]]});
    let big_or_urgent = json!({"name": "big or urgent", "conditions": [
        [{"a": "{{1.n}}", "o": "number:greater", "b": "10"}, {"a": "{{1.kind}}", "o": "text:notequal", "b": "a"}],
        [{"a": "{{1.urgent}}", "o": "boolean:equal", "b": "true"}],
    ]});
    let flow = json!([
        start(),
        {"id": 2, "module": "builtin:BasicRouter", "routes": [
            {"flow": [with(m(3, "util:SetVariable2", json!({"name": "route", "value": "a"})), "filter", is_a), returning(4, json!({"route": "{{3.route}}"}))]},
            {"flow": [with(m(5, "util:SetVariable2", json!({"name": "route", "value": "big"})), "filter", big_or_urgent), returning(6, json!({"route": "{{5.route}}"}))]},
            {"flow": [m(7, "util:SetVariable2", json!({"name": "route", "value": "fallback"})), returning(8, json!({"route": "{{7.route}}"}))]},
        ]},
    ]);
    let cases = [
        (
            json!({"kind": "a", "n": 50}),
            "a",
            vec![
                (1, "completed"),
                (2, "completed"),
                (3, "completed"),
                (4, "completed"),
            ],
        ),
        (
            json!({"kind": "b", "n": 50}),
            "big",
            vec![
                (1, "completed"),
                (2, "completed"),
                (5, "completed"),
                (6, "completed"),
            ],
        ),
        (
            json!({"kind": "b", "n": 5, "urgent": true}),
            "big",
            vec![
                (1, "completed"),
                (2, "completed"),
                (5, "completed"),
                (6, "completed"),
            ],
        ),
        (
            json!({"kind": "b", "n": 5}),
            "fallback",
            vec![
                (1, "completed"),
                (2, "completed"),
                (7, "completed"),
                (8, "completed"),
            ],
        ),
    ];
    for (input, route, expected) in cases {
        let report = run(flow.clone(), input.clone()).await;
        assert_eq!(report.outputs, json!({"route": route}), "{input}");
        let expected: Vec<(i64, String)> = expected
            .into_iter()
            .map(|(id, s)| (id, s.to_owned()))
            .collect();
        assert_eq!(
            trail(&report),
            expected,
            "{input}: one record per module run; filtered-out modules have none"
        );
        assert_eq!(
            report.operations, 1,
            "{input}: only the setter that ran costs; routers and filters are free"
        );
    }
}

#[tokio::test]
async fn filter_operators_on_a_module() {
    let cases = [
        (
            json!({"a": "{{1.x}}", "o": "exist"}),
            json!({"x": "v"}),
            true,
        ),
        (json!({"a": "{{1.x}}", "o": "exist"}), json!({}), false),
        (json!({"a": "{{1.x}}", "o": "notexist"}), json!({}), true),
        (
            json!({"a": "{{1.x}}", "o": "text:contain", "b": "ell"}),
            json!({"x": "hello"}),
            true,
        ),
        (
            json!({"a": "{{1.x}}", "o": "text:contain:ci", "b": "ELL"}),
            json!({"x": "hello"}),
            true,
        ),
        (
            json!({"a": "{{1.x}}", "o": "text:startswith", "b": "he"}),
            json!({"x": "hello"}),
            true,
        ),
        (
            json!({"a": "{{1.x}}", "o": "text:endswith", "b": "he"}),
            json!({"x": "hello"}),
            false,
        ),
        (
            json!({"a": "{{1.x}}", "o": "number:less", "b": "3"}),
            json!({"x": 2}),
            true,
        ),
        (
            json!({"a": "{{1.x}}", "o": "number:greaterorequal", "b": "3"}),
            json!({"x": "3"}),
            true,
        ),
        (
            json!({"a": "{{1.x}}", "o": "number:equal", "b": "3"}),
            json!({"x": "three"}),
            false,
        ),
        (
            json!({"a": "{{1.x}}", "o": "number:notequal", "b": "3"}),
            json!({"x": "three"}),
            false,
        ),
        (
            json!({"a": "{{1.x}}", "o": "boolean:equal", "b": "false"}),
            json!({"x": false}),
            true,
        ),
        (
            json!({"a": "{{1.x}}", "o": "date:greater", "b": "2024-01-01"}),
            json!({"x": "2024-06-01T00:00:00Z"}),
            true,
        ),
        (
            json!({"a": "{{1.x}}", "o": "array:contain", "b": "b"}),
            json!({"x": ["a", "b"]}),
            true,
        ),
        (
            json!({"a": "{{1.x}}", "o": "text:pattern", "b": "^h.*o$"}),
            json!({"x": "hello"}),
            true,
        ),
    ];
    for (condition, input, passes) in cases {
        let filter = json!({"name": "f", "conditions": [[condition.clone()]]});
        let flow = json!([
            start(),
            with(
                m(2, "util:SetVariable2", json!({"name": "ok", "value": true})),
                "filter",
                filter
            )
        ]);
        let report = run(flow, input.clone()).await;
        let ran: Vec<i64> = report.modules.iter().map(|r| r.id).collect();
        assert_eq!(ran.contains(&2), passes, "{condition} with {input}");
        if passes {
            assert_eq!(report.modules[1].status, ModuleStatus::Completed);
        }
    }
}

#[tokio::test]
async fn a_filter_inside_an_iterator_records_only_the_bundles_that_ran() {
    let even = json!({"name": "even", "conditions": [[{"a": "{{2.value % 2}}", "o": "number:equal", "b": "0"}]]});
    let flow = json!([
        start(),
        m(2, "builtin:BasicFeeder", json!({"array": "{{1.items}}"})),
        with(
            m(
                3,
                "util:SetVariable2",
                json!({"name": "n", "value": "{{2.value}}"})
            ),
            "filter",
            even
        ),
    ]);
    let report = run(flow, json!({"items": [1, 2, 3, 4]})).await;
    let runs: Vec<(u64, serde_json::Value)> = report
        .modules
        .iter()
        .filter(|r| r.id == 3)
        .map(|r| (r.bundle, r.output["n"].clone()))
        .collect();
    assert_eq!(
        runs,
        [(1, json!(2)), (2, json!(4))],
        "numbered by the module's own runs"
    );
    assert_eq!(report.operations, 1 + 2);
}
