//! The console's router in process: the cookie is `Secure` when gxd serves TLS, and gRPC
//! service paths are not the console's.

use std::sync::Arc;

use tower::ServiceExt;

use super::steer::service_path;
use super::Web;
use crate::auth::CodeHierarchy;
use crate::store::Store;

#[tokio::test]
async fn under_tls_the_sign_in_cookie_is_secure() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let router = Web::new(store.clone(), false, Arc::new(CodeHierarchy), true).router();
    let req = axum::http::Request::get("/")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = router.oneshot(req).await.unwrap();
    assert_eq!(r.status(), 200);
    let c = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(c.starts_with("gx_signin=") && c.contains("; Secure"), "{c}");
    store.close().await.unwrap();
}

#[test]
fn service_paths_stay_with_grpc() {
    assert!(service_path("/gx.v1.ReportService/SubmitReport"));
    assert!(service_path("/grpc.health.v1.Health/Check"));
    assert!(!service_path("/"));
    assert!(!service_path("/board/621024/2020"));
    assert!(!service_path("/static/gx.css"));
}
