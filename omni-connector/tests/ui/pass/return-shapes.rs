//! Every return shape of an action and both ways to take the context.

use omni_connector::prelude::*;
use serde_json::json;

#[derive(Serialize)]
struct Info {
    n: u32,
}

#[derive(Debug)]
struct MyError;

impl std::fmt::Display for MyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("my error")
    }
}

struct Shapes;

#[connector(name = "shapes", version = "1.0.0")]
impl Shapes {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }

    /// `Result<T, E: Display>`.
    #[action]
    async fn result_custom(&self) -> std::result::Result<Info, MyError> {
        Err(MyError)
    }

    /// The SDK's `Result<T>`.
    #[action]
    async fn result_sdk(&self) -> Result<Info> {
        Ok(Info { n: 1 })
    }

    /// A plain value.
    #[action]
    async fn plain(&self, ctx: ActionContext) -> Info {
        let _ = ctx;
        Info { n: 2 }
    }

    /// Unit.
    #[action]
    async fn unit(&self) {}

    /// Unit, spelled out.
    #[action]
    async fn unit_tuple(&self) -> () {}

    /// An `ActionResponse`, as is.
    #[action]
    async fn response(&self, ctx: &ActionContext) -> ActionResponse {
        ActionResponse::success(json!({"actor": ctx.actor_email}))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let ctx = ActionContext::default;
    let call = |name: &'static str| Connector::execute_action(&Shapes, name, json!({}), ctx());
    assert_eq!(call("result_custom").await, ActionResponse::failure("my error"));
    assert_eq!(call("result_sdk").await, ActionResponse::success(json!({"n": 1})));
    assert_eq!(call("plain").await, ActionResponse::success(json!({"n": 2})));
    assert_eq!(call("unit").await, ActionResponse::success(json!(null)));
    assert_eq!(call("unit_tuple").await, ActionResponse::success(json!(null)));
    assert_eq!(call("response").await, ActionResponse::success(json!({"actor": null})));
}
