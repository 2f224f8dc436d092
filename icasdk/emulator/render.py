"""How state looks on the wire: the JSON bodies of the definition's schemas.

Every body here carries all the fields its schema requires, so it validates
against the definition (a test checks that with the independent validator).
The tenant, region and country are fixed: the emulator has one of each.
"""

from __future__ import annotations

import logging
import uuid

from icasdk.emulator import lifecycle
from icasdk.emulator.problems import utc_timestamp
from icasdk.emulator.state import Batch, Project, User

log = logging.getLogger(__name__)

SUBJECT_TYPE = "ProjectDataUpdateBatch"
TENANT_NAME = "emulator"
_NAMESPACE = uuid.UUID("6f1d3c0e-5b7a-4c1e-9d2a-1e0f6a7b8c9d")
TENANT_ID = str(uuid.uuid5(_NAMESPACE, "tenant"))
_EPOCH = utc_timestamp(1577836800.0)  # 2020-01-01, when the fixtures "began"


def _owned(record_id: str, when: str, owner_id: str) -> dict:
    """The fields every tenant-owned record starts with."""
    return {
        "id": record_id,
        "timeCreated": when,
        "timeModified": when,
        "ownerId": owner_id,
        "tenantId": TENANT_ID,
        "tenantName": TENANT_NAME,
    }


def _fixed(kind: str) -> dict:
    """A record of the tenant's own, with a fixed id and time."""
    return _owned(str(uuid.uuid5(_NAMESPACE, kind)), _EPOCH, TENANT_ID)


COUNTRY = dict(_fixed("country"), code="US", name="United States", region="US")
REGION = dict(_fixed("region"), code="US", country=COUNTRY, cityName="Virginia")


def user(record: User) -> dict:
    """A ``User``."""
    return dict(
        _owned(record.id, utc_timestamp(record.created), record.id),
        username=record.username,
        email=record.email,
        firstname=None,
        lastname=None,
        active=True,
        tenantAdministrator=False,
        emailVerified=True,
        twoFactorAuthentication=False,
    )


def project(record: Project) -> dict:
    """A ``Project``."""
    when = utc_timestamp(record.created)
    return dict(
        _owned(record.id, when, record.owner_id),
        urn="urn:ilmn:ica:project:%s#%s" % (record.id, record.name),
        name=record.name,
        active=True,
        region=REGION,
        billingMode="PROJECT",
        dataSharingEnabled=False,
        tags={"technicalTags": [], "userTags": []},
        projectOwner=record.owner_id,
    )


def batch(record: Batch, owner: User, proj: Project) -> dict:
    """A ``ProjectDataUpdateBatch`` with its full ``Job``."""
    status = lifecycle.job_status(record)
    info = None
    if record.failed:
        info = "%d of %d items failed." % (len(record.failed), len(record.items))
    return {
        "id": record.id,
        "job": {
            "id": record.job_id,
            "status": status,
            "additionalStatusInformation": info,
            "subjectType": SUBJECT_TYPE,
            "subjectId": record.id,
            "timeCreated": utc_timestamp(record.created),
            "timeStarted": _maybe_time(record.started),
            "timeFinished": _maybe_time(record.finished),
            "owner": user(owner),
            "project": project(proj),
        },
    }


def item(record: Batch, index: int) -> dict:
    """A ``ProjectDataUpdateBatchItem``."""
    entry = record.items[index]
    group = record.groups[entry.group]
    request = {"dataId": entry.data_id}
    for key in ("userTags", "technicalTags", "willBeArchivedAt", "willBeDeletedAt"):
        if group.get(key) is not None:
            request[key] = group[key]
    status = lifecycle.item_status(record, index)
    info = entry.info if index < record.done else None
    return {
        "id": entry.id,
        "request": request,
        "processing": {"status": status, "additionalStatusInformation": info},
    }


def _maybe_time(seconds: float | None) -> str | None:
    return None if seconds is None else utc_timestamp(seconds)
