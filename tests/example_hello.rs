//! The hello example: the README's smallest connector works.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../examples/hello/main.rs"]
mod hello;

use omni_connector::testing::{run_sync, LocalSync};
use omni_connector::{ActionContext, Connector};
use serde_json::json;

#[tokio::test]
async fn greets_everyone_and_counts_runs() {
    let report = run_sync(
        hello::Hello,
        LocalSync::new(json!({"names": ["Ada", "Grace"]})),
    )
    .await
    .unwrap();
    assert!(report.is_completed());
    let texts: Vec<_> = report
        .documents
        .iter()
        .map(|d| d.content.clone().unwrap())
        .collect();
    assert_eq!(texts, ["Hello, Ada!", "Hello, Grace!"]);
    assert_eq!(report.state, Some(json!({"runs": 1})));

    let again = run_sync(
        hello::Hello,
        LocalSync::new(json!({"names": []})).state(report.state.unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(again.state, Some(json!({"runs": 2})));

    let refused = run_sync(hello::Hello, LocalSync::new(json!({})))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("config: missing field `names`"),
        "{refused}"
    );
}

#[tokio::test]
async fn the_greet_action() {
    let answer = hello::Hello
        .execute_action("greet", json!({"name": "Ada"}), ActionContext::default())
        .await;
    assert_eq!(answer.result, Some(json!("Hello, Ada!")));
}
