//! gx.v1.OrgService over gRPC: the answers to bad and conflicting requests, and bodies kept
//! across a restart.

use gx::pb;
use tonic::Code;

use super::{assert_code, data_dir, org_client, start_in, violations};
use pb::OrgLevel::{County, Township, Unspecified};

fn body(id: &str, parent: &str, level: pb::OrgLevel) -> pb::Body {
    pb::Body {
        id: id.into(),
        name: format!("单位{id}"),
        level: level as i32,
        parent: parent.into(),
        ..Default::default()
    }
}

fn create(b: pb::Body) -> pb::CreateOrgRequest {
    pb::CreateOrgRequest { body: Some(b) }
}

#[tokio::test]
async fn bodies_answer_bad_and_conflicting_requests_and_survive_a_restart() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    let mut c = org_client(&gxd).await;
    a_county_and_a_township(&mut c).await;
    bad_and_conflicting_bodies_are_refused(&mut c).await;
    bad_renames_lookups_roll_ups_and_exports_are_refused(&mut c).await;
    c.rename_org(pb::RenameOrgRequest {
        id: "621024101".into(),
        name: "固城镇".into(),
    })
    .await
    .unwrap();
    drop(c);
    assert!(gxd.stop().await.success());
    the_bodies_survive_a_restart(dir.path()).await;
}

async fn a_county_and_a_township(c: &mut super::OrgClient) {
    let made = c
        .create_org(create(body("621024", "", County)))
        .await
        .unwrap()
        .into_inner();
    assert!(made.created);
    c.create_org(create(body("621024101", "621024", Township)))
        .await
        .unwrap();
}

/// A bad id, no level, an unknown parent, an existing id, a move under its own child.
async fn bad_and_conflicting_bodies_are_refused(c: &mut super::OrgClient) {
    let s = assert_code(
        c.create_org(create(body("62 1", "", County))).await,
        Code::InvalidArgument,
    );
    assert_eq!(violations(&s)[0].0, "id", "{s:?}");
    let s = assert_code(
        c.create_org(create(body("x", "", Unspecified))).await,
        Code::InvalidArgument,
    );
    assert_eq!(violations(&s)[0].0, "body.level", "{s:?}");
    let s = assert_code(
        c.create_org(create(body("y", "nowhere", County))).await,
        Code::NotFound,
    );
    assert!(s.message().contains("nowhere"), "{s:?}");
    let s = assert_code(
        c.create_org(create(body("621024", "621024101", County)))
            .await,
        Code::AlreadyExists,
    );
    assert!(s.message().contains("621024"), "{s:?}");
    let s = assert_code(
        c.move_org(pb::MoveOrgRequest {
            id: "621024".into(),
            parent: "621024101".into(),
        })
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(violations(&s)[0].0, "parent", "{s:?}");
}

/// A blank name, an unknown body, a roll-up without a year, an export for nobody.
async fn bad_renames_lookups_roll_ups_and_exports_are_refused(c: &mut super::OrgClient) {
    assert_code(
        c.rename_org(pb::RenameOrgRequest {
            id: "621024".into(),
            name: " ".into(),
        })
        .await,
        Code::InvalidArgument,
    );
    assert_code(
        c.get_org(pb::GetOrgRequest {
            id: "nobody".into(),
        })
        .await,
        Code::NotFound,
    );
    assert_code(
        c.roll_up(pb::RollUpRequest {
            org_id: "621024".into(),
            year: 0,
            ..Default::default()
        })
        .await,
        Code::InvalidArgument,
    );
    assert_code(
        c.export_reports(pb::ExportReportsRequest {
            year: 2021,
            org_id: "nobody".into(),
            packed: false,
        })
        .await,
        Code::NotFound,
    );
}

/// After a restart on `data`: the renamed township under its county, listed a page at a time.
async fn the_bodies_survive_a_restart(data: &std::path::Path) {
    let gxd = start_in(data);
    let mut c = org_client(&gxd).await;
    let got = c
        .get_org(pb::GetOrgRequest {
            id: "621024101".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.body.unwrap().name, "固城镇");
    assert_eq!(got.ancestors[0].id, "621024");
    let list = c
        .list_orgs(pb::ListOrgsRequest {
            root: "621024".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.bodies.len(), 1);
    assert_eq!(list.next_page_token, "621024");
}
