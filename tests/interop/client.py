"""gx interop client: Python grpcio talking to gxd, with stubs generated from proto/.

Run by tests/server/interop.rs:
    python client.py --addr 127.0.0.1:PORT --stubs DIR --report report.bin [--token T]

Registers the report's body (gx.v1.OrgService/CreateOrg), submits the report, gets it
back, lists, submits a broken copy and decodes the
google.rpc.BadRequest details of the rejection, then lists the services over server
reflection (v1alpha). Prints one JSON object on stdout.
"""

import argparse
import json
import sys


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--addr", required=True)
    p.add_argument("--stubs", required=True)
    p.add_argument("--report", required=True)
    p.add_argument("--example-json", help="a SubmitReportRequest in proto JSON to compare")
    p.add_argument("--token", help="bearer token sent with every gx call")
    args = p.parse_args()
    sys.path.insert(0, args.stubs)

    import grpc
    from google.protobuf.descriptor_pool import DescriptorPool
    from google.rpc import error_details_pb2
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )
    from grpc_status import rpc_status

    from gx.v1 import org_pb2, org_pb2_grpc, report_pb2, service_pb2, service_pb2_grpc

    out = {}
    if args.example_json:
        from google.protobuf import json_format

        with open(args.example_json, encoding="utf-8") as f:
            example = json_format.Parse(f.read(), service_pb2.SubmitReportRequest())
        with open(args.report, "rb") as f:
            out["example_matches"] = example.report == report_pb2.Report.FromString(f.read())

    md = [("authorization", "Bearer " + args.token)] if args.token else None

    with grpc.insecure_channel(args.addr) as channel:
        stub = service_pb2_grpc.ReportServiceStub(channel)
        with open(args.report, "rb") as f:
            report = report_pb2.Report.FromString(f.read())

        # A report must name a registered body.
        orgs = org_pb2_grpc.OrgServiceStub(channel)
        created = orgs.CreateOrg(
            org_pb2.CreateOrgRequest(
                body=org_pb2.Body(
                    id=report.org.id,
                    name=report.org.name,
                    level=org_pb2.ORG_LEVEL_TOWNSHIP,
                )
            ),
            timeout=10,
            metadata=md,
        )
        out["org"] = {
            "created": created.created,
            "level": org_pb2.OrgLevel.Name(created.body.level),
        }

        sub = stub.SubmitReport(
            service_pb2.SubmitReportRequest(report=report, reason="interop"),
            timeout=10,
            metadata=md,
        )
        out["submit"] = {
            "revision": sub.revision,
            "created": sub.created,
            "content_hash": sub.content_hash,
        }

        got = stub.GetReport(
            service_pb2.GetReportRequest(org_id=report.org.id, year=report.year),
            timeout=10,
            metadata=md,
        )
        out["get"] = {
            "revision": got.revision.revision,
            "content_hash": got.revision.content_hash,
            "org_name": got.report.org.name,
            "same_tables": got.report.table3 == report.table3
            and got.report.table4 == report.table4,
        }

        listed = stub.ListReports(
            service_pb2.ListReportsRequest(page_size=10), timeout=10, metadata=md
        )
        out["list"] = [[r.org.id, r.year, r.revision] for r in listed.reports]

        bad = report_pb2.Report()
        bad.CopyFrom(report)
        bad.table4.review.total.count = 3
        try:
            stub.SubmitReport(
                service_pb2.SubmitReportRequest(report=bad), timeout=10, metadata=md
            )
            out["rejected"] = None
        except grpc.RpcError as e:
            status = rpc_status.from_call(e)
            violations, reasons = [], []
            for detail in status.details if status else []:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    br = error_details_pb2.BadRequest()
                    detail.Unpack(br)
                    violations += [
                        {"field": v.field, "description": v.description}
                        for v in br.field_violations
                    ]
                elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    reasons.append(info.reason)
            out["rejected"] = {
                "code": e.code().name,
                "message": status.message if status else e.details(),
                "violations": violations,
                "error_info": reasons,
            }

        db = ProtoReflectionDescriptorDatabase(channel)
        out["services"] = sorted(db.get_services())
        pool = DescriptorPool(db)
        out["methods"] = [
            m.name for m in pool.FindServiceByName("gx.v1.ReportService").methods
        ]

    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
