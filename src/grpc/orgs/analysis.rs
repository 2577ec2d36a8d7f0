//! `AnalyzeRegion`: the latest reports of a body's descendants for a year and the year
//! before, read from the store and handed to [`crate::analysis`].

use super::{no_body, record, require_id, require_year};
use crate::analysis::{self, Analysis, Entry, Thresholds};
use crate::grpc::convert::stored_report;
use crate::grpc::status::ServiceError;
use crate::orgs::Body;
use crate::pb;
use crate::store::{Store, Version};

/// The latest report of `id` for `year`, and the rules its explanations answer.
fn latest(
    store: &Store,
    id: &str,
    year: u32,
) -> Result<Option<(crate::model::Report, Vec<String>)>, ServiceError> {
    let Some(rev) = store.get(id, year, Version::Latest)? else {
        return Ok(None);
    };
    let report = stored_report(&rev)?;
    let explained = rev
        .explanations
        .iter()
        .map(|(rule, _)| rule.clone())
        .collect();
    Ok(Some((report, explained)))
}

/// The analysis, on a blocking thread.
pub(super) fn analyze(
    store: &Store,
    r: &pb::AnalyzeRegionRequest,
) -> Result<pb::AnalyzeRegionResponse, ServiceError> {
    record(&r.org_id, r.year);
    require_id("org_id", &r.org_id)?;
    require_year(r.year)?;
    let below: Vec<Body> = store.with_directory(|d| {
        d.get(&r.org_id).ok_or_else(|| no_body(&r.org_id))?;
        Ok::<_, ServiceError>(
            d.descendants(&r.org_id)
                .into_iter()
                .map(|(b, _)| b.clone())
                .collect(),
        )
    })?;
    let mut entries = Vec::new();
    for b in &below {
        let Some((current, explained)) = latest(store, &b.id, r.year)? else {
            continue;
        };
        let previous = match r.year.checked_sub(1) {
            Some(y) => latest(store, &b.id, y)?.map(|(p, _)| p),
            None => None,
        };
        entries.push(Entry {
            id: b.id.clone(),
            name: b.name.clone(),
            level: b.level,
            current,
            previous,
            explained,
        });
    }
    let a = analysis::analyze(&entries, r.year, &Thresholds::default());
    Ok(to_pb(&a, below.len()))
}

fn to_pb(a: &Analysis, descendants: usize) -> pb::AnalyzeRegionResponse {
    let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
    let place = |p: &analysis::Place| pb::RankingPlace {
        rank: n(p.rank),
        org_id: p.org_id.clone(),
        org_name: p.org_name.clone(),
        value: p.value,
    };
    pb::AnalyzeRegionResponse {
        year: a.year,
        descendants: n(descendants),
        bodies: n(a.bodies),
        flagged: n(a.flagged),
        findings: a
            .findings
            .iter()
            .map(|f| pb::AnalysisFinding {
                org_id: f.org_id.clone(),
                org_name: f.org_name.clone(),
                level: f.level.number() as i32,
                check: f.check.name().to_string(),
                indicator: f.indicator.unwrap_or_default().to_string(),
                evidence: Some(pb::AnalysisEvidence {
                    value: f.evidence.value,
                    previous: f.evidence.previous,
                    median: f.evidence.median,
                    mad: f.evidence.mad,
                    score: f.evidence.score,
                    threshold: f.evidence.threshold,
                    threshold_name: f.evidence.threshold_name.to_string(),
                }),
                message: f.message.clone(),
            })
            .collect(),
        rankings: a
            .rankings
            .iter()
            .map(|k| pb::IndicatorRanking {
                indicator: k.indicator.to_string(),
                label: k.label.to_string(),
                ranked: n(k.ranked),
                top: k.top.iter().map(place).collect(),
                bottom: k.bottom.iter().map(place).collect(),
            })
            .collect(),
    }
}
