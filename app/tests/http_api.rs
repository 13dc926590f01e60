//! The HTTP API against a real server on loopback: every route, bad input as typed 4xx errors
//! with nothing stored half-way, token enforcement and body limits.

use elixir_scope::{Scope, ScopeOptions};
use serde_json::{json, Value};

async fn get_json(http: &reqwest::Client, url: impl reqwest::IntoUrl) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

async fn start(dir: &std::path::Path, token: Option<&str>) -> (Scope, String) {
    let mut options = ScopeOptions::new(dir, "127.0.0.1:0".parse().unwrap());
    options.token = token.map(String::from);
    options.max_body_bytes = 256 * 1024;
    let scope = Scope::start(options).await.expect("start");
    let base = format!("http://{}", scope.local_addr());
    (scope, base)
}

#[tokio::test]
async fn events_config_tree_and_metrics_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (scope, base) = start(dir.path(), None).await;
    let http = reqwest::Client::new();

    let health: Value = get_json(&http, format!("{base}/health")).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["layers"]["foundation"], "running");

    let stored = http
        .post(format!("{base}/api/events"))
        .json(&json!({"events": [
            {"event_type": "call", "correlation_id": "req-1", "data": {"f": "A.b/1"}},
            {"event_type": "return", "correlation_id": "req-1", "data": {}}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);
    let ids: Value = stored.json().await.unwrap();
    assert_eq!(ids["ids"].as_array().unwrap().len(), 2);

    let page: Value = get_json(
        &http,
        format!("{base}/api/events?correlation_id=req-1&limit=1"),
    )
    .await;
    assert_eq!(page["events"][0]["event_type"], "call");
    let cursor = page["next_cursor"].as_str().expect("a second page exists");
    let second: Value = get_json(
        &http,
        format!("{base}/api/events?correlation_id=req-1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["events"][0]["event_type"], "return");
    assert!(second["next_cursor"].is_null());

    let first_id = ids["ids"][0].as_i64().unwrap();
    let one: Value = get_json(&http, format!("{base}/api/events/{first_id}")).await;
    assert_eq!(one["data"]["f"], "A.b/1");
    assert_eq!(
        http.get(format!("{base}/api/events/999999"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let update = http
        .put(format!("{base}/api/config/capture.batch_size"))
        .json(&json!(250))
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 200);
    let read: Value = get_json(&http, format!("{base}/api/config/capture.batch_size")).await;
    assert_eq!(read["value"], 250);

    let tree: Value = get_json(&http, format!("{base}/api/tree")).await;
    let layers: Vec<&str> = tree["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["foundation", "ast", "cpg", "analysis", "api"]);

    let prometheus = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(prometheus.status(), 200);
    assert!(prometheus.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    scope.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_a_typed_4xx_and_nothing_is_stored_half_way() {
    let dir = tempfile::tempdir().unwrap();
    let (scope, base) = start(dir.path(), None).await;
    let http = reqwest::Client::new();

    let not_json = http
        .post(format!("{base}/api/events"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let body: Value = not_json.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");

    // One oversize event in a batch refuses the whole batch.
    let big = "x".repeat(100 * 1024);
    let oversize = http
        .post(format!("{base}/api/events"))
        .json(&json!([
            {"event_type": "ok", "correlation_id": "half", "data": {}},
            {"event_type": "big", "correlation_id": "half", "data": {"blob": big}}
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(oversize.status(), 422);
    let page: Value = get_json(&http, format!("{base}/api/events?correlation_id=half")).await;
    assert!(
        page["events"].as_array().unwrap().is_empty(),
        "nothing stored half-way"
    );

    let too_large_body = http
        .post(format!("{base}/api/events"))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"event_type\":\"x\",\"data\":\"{}\"}}",
            "y".repeat(300 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large_body.status(), 413);

    let unknown = http
        .put(format!("{base}/api/config/no.such.path"))
        .json(&json!(1))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let fixed = http
        .put(format!("{base}/api/config/event_store.backend"))
        .json(&json!("postgres"))
        .send()
        .await
        .unwrap();
    assert_eq!(fixed.status(), 403);
    let out_of_range = http
        .put(format!("{base}/api/config/capture.sampling_rate"))
        .json(&json!(7.5))
        .send()
        .await
        .unwrap();
    assert_eq!(out_of_range.status(), 422);
    let bad_cursor = http
        .get(format!("{base}/api/events?cursor=garbage"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_cursor.status(), 400);
    scope.shutdown().await;
}

#[tokio::test]
async fn a_token_is_required_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let token = "a-long-enough-secret-token";
    let (scope, base) = start(dir.path(), Some(token)).await;
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{base}/api/tree"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        http.get(format!("{base}/api/tree"))
            .bearer_auth("wrong-token-wrong-token")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        http.get(format!("{base}/api/tree"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    scope.shutdown().await;
}

#[tokio::test]
async fn non_loopback_without_token_and_taken_ports_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let open = ScopeOptions::new(dir.path(), "0.0.0.0:0".parse().unwrap());
    let error = Scope::start(open).await.err().expect("refused");
    assert!(
        error.to_string().contains("requires an API token"),
        "{error}"
    );

    let (scope, base) = start(dir.path(), None).await;
    let addr = base.trim_start_matches("http://").parse().unwrap();
    let other = tempfile::tempdir().unwrap();
    let taken = Scope::start(ScopeOptions::new(other.path(), addr))
        .await
        .err()
        .expect("port taken");
    assert!(taken.to_string().contains("cannot listen"), "{taken}");
    scope.shutdown().await;
}

#[tokio::test]
async fn a_project_is_parsed_and_queried_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("greeter.ex"),
        "defmodule Greeter do\n  def hello(name), do: \"hi \" <> name\n  def hello(a, b), do: hello(a) <> b\nend\n",
    )
    .unwrap();
    std::fs::write(
        project.path().join("broken.ex"),
        "defmodule Broken do\n  def oops(x) do\n",
    )
    .unwrap();
    let (scope, base) = start(dir.path(), None).await;
    let http = reqwest::Client::new();
    let report: Value = http
        .post(format!("{base}/api/projects"))
        .json(&json!({"name": "demo", "path": project.path()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["files"], 2);
    assert_eq!(
        report["files_with_errors"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    let found: Value = get_json(
        &http,
        format!("{base}/api/projects/demo/functions?name=hello&arity=2"),
    )
    .await;
    assert_eq!(found["functions"].as_array().unwrap().len(), 1, "{found}");
    let missing = http
        .get(format!("{base}/api/projects/nope/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let bad_path = http
        .post(format!("{base}/api/projects"))
        .json(&json!({"name": "x", "path": "/does/not/exist"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_path.status(), 422);
    scope.shutdown().await;
}

#[tokio::test]
async fn an_analysis_job_runs_over_http_and_reports_in_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("deep.ex"),
        "defmodule Deep do\n  def f(a, b, c, d, e, f, g, h, i) do\n    if a do\n      if b do\n        if c do\n          d\n        end\n      end\n    end\n  end\nend\n",
    )
    .unwrap();
    let (scope, base) = start(dir.path(), None).await;
    let http = reqwest::Client::new();
    let parsed = http
        .post(format!("{base}/api/projects"))
        .json(&json!({"name": "deep", "path": project.path()}))
        .send()
        .await
        .unwrap();
    assert_eq!(parsed.status(), 200);
    let unknown = http
        .post(format!("{base}/api/analyses"))
        .json(&json!({"project": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let submitted = http
        .post(format!("{base}/api/analyses"))
        .json(&json!({"project": "deep"}))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 202, "{:?}", submitted.text().await);
    let submitted: Value = submitted.json().await.unwrap();
    let job = submitted["job"].as_u64().expect("job id");
    let report = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let response = http
                .get(format!("{base}/api/analyses/{job}/report?format=sarif"))
                .send()
                .await
                .unwrap();
            if response.status() == 200 {
                return response.json::<Value>().await.unwrap();
            }
            assert_eq!(response.status(), 202);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("job completes");
    assert_eq!(report["version"], "2.1.0");
    let rules: Vec<&str> = report["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(rules.iter().any(|r| r.contains("arity")), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("nesting")), "{rules:?}");
    scope.shutdown().await;
}

#[tokio::test]
async fn a_code_property_graph_is_built_and_queried_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("chain.ex"),
        "defmodule Chain do\n  def a(x), do: b(x)\n  def b(x), do: c(x)\n  def c(x), do: x\nend\n",
    )
    .unwrap();
    let (scope, base) = start(dir.path(), None).await;
    let http = reqwest::Client::new();
    let built = http
        .post(format!("{base}/api/cpg"))
        .json(&json!({"name": "chain", "path": project.path()}))
        .send()
        .await
        .unwrap();
    assert_eq!(built.status(), 200, "{:?}", built.text().await);
    let find = |name: &str| {
        let http = http.clone();
        let url = format!("{base}/api/cpg/chain/methods?name={name}");
        async move {
            let found: Value = get_json(&http, url).await;
            found["methods"][0]["id"]
                .as_u64()
                .unwrap_or_else(|| panic!("{found}"))
        }
    };
    let (a, c) = (find("Chain.a/1").await, find("Chain.c/1").await);
    let reachable: Value =
        get_json(&http, format!("{base}/api/cpg/chain/methods/{a}/reachable")).await;
    let names: Vec<&str> = reachable["reachable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"b") && names.contains(&"c"), "{reachable}");
    let paths: Value = get_json(&http, format!("{base}/api/cpg/chain/paths?from={a}&to={c}")).await;
    assert_eq!(paths["paths"].as_array().unwrap().len(), 1, "{paths}");
    let dot = http
        .get(format!("{base}/api/cpg/chain/export?format=dot"))
        .send()
        .await
        .unwrap();
    assert!(dot.text().await.unwrap().contains("digraph"));
    let unknown = http
        .get(format!("{base}/api/cpg/nope/methods?name=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    scope.shutdown().await;
}
