#!/usr/bin/env python3
"""Runs the field's IAM linters over rendered policies (scripts/iam-lint.ts prepares the input).

stdin:  {"policies": [{"name": str, "policy": {...}}],
         "roles": [{"name": str, "policies": [{...}, ...]}]}
stdout: {"parliament": [{"policy", "issue", "severity", "title", "detail", "location"}],
         "cloudsplaining": [{"role", "privilegeEscalation", "resourceExposure", "credentialsExposure",
                             "dataExfiltration", "infrastructureModification"}]}

parliament (duo-labs) checks each document against the IAM action/resource/condition-key database:
unknown actions, resource types that do not match an action, condition keys an action does not
support, malformed ARNs. cloudsplaining (salesforce) classifies what each role's policies allow;
risky actions are flagged even when scoped to resource ARNs (flag_resource_arn_statements), so a
role is judged by what it can do, not by how it is written.
"""
import json
import sys

from cloudsplaining.scan.policy_document import PolicyDocument
from parliament import analyze_policy_string


def parliament_findings(name, policy):
    analyzed = analyze_policy_string(json.dumps(policy), filepath=name, include_community_auditors=False)
    out = []
    for finding in analyzed.findings:
        out.append(
            {
                "policy": name,
                "issue": finding.issue,
                "severity": getattr(finding, "severity", ""),
                "title": getattr(finding, "title", ""),
                "detail": json.loads(json.dumps(finding.detail, default=str)),
                "location": json.loads(json.dumps(finding.location, default=str)),
            }
        )
    return out


def cloudsplaining_findings(role):
    merged = {"Version": "2012-10-17", "Statement": [s for p in role["policies"] for s in p["Statement"]]}
    document = PolicyDocument(merged, flag_resource_arn_statements=True, flag_conditional_statements=True)
    return {
        "role": role["name"],
        "privilegeEscalation": document.allows_privilege_escalation,
        "resourceExposure": document.permissions_management_without_constraints,
        "credentialsExposure": document.credentials_exposure,
        "dataExfiltration": document.allows_data_exfiltration_actions,
        "infrastructureModification": document.infrastructure_modification,
    }


def main():
    request = json.load(sys.stdin)
    result = {
        "parliament": [f for p in request["policies"] for f in parliament_findings(p["name"], p["policy"])],
        "cloudsplaining": [cloudsplaining_findings(r) for r in request["roles"]],
    }
    json.dump(result, sys.stdout, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
