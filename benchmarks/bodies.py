"""Realistic JSON bodies for the benchmarks, shaped by the API definition.

Every body is what ICA could send or receive for a bulk-tagging job: an
items page where every item carries user and technical tags, some items
failed with a reason and others carry an archive date; a batch whose job
has its full owner and project (region, country, storage bundle, tags); a
create request with one group of many data ids. Nullable fields are null
in some places, as on the real service.

Values come from a seeded generator, so every run measures the same bytes.
``check_valid`` proves a body matches the definition: icasdk's own response
builder must report no mismatch, and, where the emulator extra is
installed, so must the independent OpenAPI validator the emulator uses.
"""

from __future__ import annotations

import json
import random
import typing
import uuid

SEED = 20240701
PROJECT_ID = "3f1e6a52-9c0d-4b7e-8a21-5d4c3b2a1f00"
BATCH_ID = "8b2d4f6e-1a3c-4e5f-9a7b-0c1d2e3f4a5b"
CREATED = "2024-07-01T09:14:03.512Z"
STARTED = "2024-07-01T09:14:05.104Z"
FINISHED = "2024-07-01T09:31:47.880Z"
TENANT_ID = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
TENANT_NAME = "genomics-core"

# Share of items, per thousand, that failed or were partially updated.
FAILED_PER_MILLE = 60
PARTIAL_PER_MILLE = 30
# One item in this many asks for an archive date.
ARCHIVED_EVERY = 4


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def data_id(rng: random.Random) -> str:
    """A file id as ICA gives them: ``fil.`` and 32 hex digits."""
    return "fil." + format(rng.getrandbits(128), "032x")


def data_ids(count: int, seed: int = SEED) -> typing.List[str]:
    """``count`` distinct-looking file ids, the same ones on every run."""
    rng = random.Random(seed)
    return [data_id(rng) for _ in range(count)]


def _owned(rng: random.Random, owner_id: str) -> dict:
    """The fields every tenant-owned record starts with."""
    return {
        "id": _uuid(rng),
        "timeCreated": "2021-03-18T12:00:41.001Z",
        "timeModified": "2024-05-02T08:47:19.220Z",
        "ownerId": owner_id,
        "tenantId": TENANT_ID,
        "tenantName": TENANT_NAME,
    }


def _country(rng: random.Random) -> dict:
    return dict(_owned(rng, TENANT_ID), code="US", name="United States", region="NA")


def _region(rng: random.Random) -> dict:
    return dict(
        _owned(rng, TENANT_ID),
        code="US",
        country=_country(rng),
        cityName="Virginia",
    )


def user(rng: random.Random) -> dict:
    """A full ``User``: every required field, some nullable ones null."""
    record = _owned(rng, TENANT_ID)
    return dict(
        record,
        ownerId=record["id"],
        username="jdoe",
        email="jane.doe@example.org",
        firstname="Jane",
        lastname="Doe",
        active=True,
        tenantAdministrator=False,
        jobTitle="Bioinformatician",
        greeting="MS",
        mobilePhoneNumber=None,
        phoneNumber="+1 555 0100",
        faxNumber=None,
        emailVerified=True,
        twoFactorAuthentication=True,
        country=_country(rng),
        addressLine1="5200 Illumina Way",
        addressLine2=None,
        addressLine3=None,
        postalCode="92122",
        city="San Diego",
        state="CA",
    )


def project(rng: random.Random, owner_id: str) -> dict:
    """A full ``Project`` with region, tags and storage bundle."""
    region = _region(rng)
    return dict(
        _owned(rng, owner_id),
        id=PROJECT_ID,
        urn=f"urn:ilmn:ica:project:{PROJECT_ID}#WGS-cohort-2024",
        name="WGS-cohort-2024",
        active=True,
        baseEnabled=False,
        shortDescription="Whole-genome cohort, 2024 intake",
        information=None,
        region=region,
        billingMode="PROJECT",
        dataSharingEnabled=False,
        tags={"technicalTags": ["cohort=2024"], "userTags": ["owner=genomics-core"]},
        storageBundle=dict(
            _owned(rng, TENANT_ID),
            bundleName="ica-standard-us",
            entitlementName="Enterprise",
            region=region,
        ),
        analysisPriority="MEDIUM",
        metadataModel=None,
        projectOwner=owner_id,
    )


def batch(seed: int = SEED) -> dict:
    """A ``ProjectDataUpdateBatch`` with its full ``Job`` (owner and project)."""
    rng = random.Random(seed)
    owner = user(rng)
    return {
        "id": BATCH_ID,
        "job": {
            "id": _uuid(rng),
            "status": "SUCCEEDED",
            "additionalStatusInformation": None,
            "subjectType": "ProjectDataUpdateBatch",
            "subjectId": BATCH_ID,
            "timeCreated": CREATED,
            "timeStarted": STARTED,
            "timeFinished": FINISHED,
            "owner": owner,
            "project": project(rng, owner["id"]),
            "bundle": None,
            "application": None,
        },
    }


def item(rng: random.Random, number: int) -> dict:
    """A ``ProjectDataUpdateBatchItem`` with user and technical tags."""
    file_id = data_id(rng)
    request = {
        "dataId": file_id,
        "userTags": {
            "addTags": [
                f"subject_id=SBJ{number:06d}",
                f"library=LIB{number % 977:04d}",
            ],
            "removeTags": ["status=pending"],
        },
        "technicalTags": {"addTags": ["pipeline=dragen-4.2.4"], "removeTags": []},
    }
    if number % ARCHIVED_EVERY == 0:
        request["willBeArchivedAt"] = "2025-07-01T00:00:00Z"

    roll = rng.randrange(1000)
    if roll < FAILED_PER_MILLE:
        processing = {
            "status": "FAILED",
            "additionalStatusInformation": f"Data {file_id} was not found.",
        }
    elif roll < FAILED_PER_MILLE + PARTIAL_PER_MILLE:
        processing = {
            "status": "PARTIALLY_UPDATED",
            "additionalStatusInformation": "Technical tags could not be updated.",
        }
    else:
        processing = {"status": "UPDATED", "additionalStatusInformation": None}
    return {"id": _uuid(rng), "request": request, "processing": processing}


def items_page(count: int, *, last: bool = False, seed: int = SEED) -> dict:
    """A ``ProjectDataUpdateBatchItemPagedList`` of ``count`` items.

    A middle page has a next page token; the last has a null one, as cursor
    paging ends. ``totalItemCount`` is null, as in cursor paging.
    """
    rng = random.Random(seed)
    return {
        "items": [item(rng, number) for number in range(count)],
        "nextPageToken": None if last else "eyJiIjoiOGIyZCIsIm4iOjEwMDB9",
        "remainingRecords": 0 if last else 99 * count,
        "totalItemCount": None,
    }


def create_request(ids: typing.Sequence[str]) -> dict:
    """A ``CreateProjectDataUpdateBatch`` with one group over ``ids``."""
    return {
        "dataUpdateGroups": [
            {
                "dataIds": list(ids),
                "userTags": {
                    "addTags": ["study=ST-2024-17", "consent=research"],
                    "removeTags": ["status=pending"],
                },
                "technicalTags": {"addTags": ["curated=true"]},
            }
        ]
    }


def encode(body: object) -> bytes:
    """The compact UTF-8 JSON a server sends."""
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


# --------------------------------------------------------------------------
# Proving the bodies valid


class InvalidBody(AssertionError):
    """A benchmark body does not match the API definition."""


def check_valid(schema_name: str, body: object) -> None:
    """Raise ``InvalidBody`` unless ``body`` is a valid ``schema_name``.

    icasdk's response builder must find no mismatch, and the emulator's
    OpenAPI validator no error either.
    """
    from icasdk import schemas

    model = _model(schema_name)
    _, mismatches = schemas.from_response(model, body)
    if mismatches:
        shown = "; ".join(str(error) for error in mismatches[:5])
        msg = f"{schema_name} body does not match the definition: {shown}"
        raise InvalidBody(msg)

    errors = _independent_errors(schema_name, body)
    if errors:
        shown = "; ".join(str(error) for error in errors[:5])
        msg = f"{schema_name} body fails the OpenAPI validator: {shown}"
        raise InvalidBody(msg)


def _model(schema_name: str) -> type:
    import importlib

    from icasdk import schemas

    module = importlib.import_module(f"icasdk.model.{schemas.snake_case(schema_name)}")
    return getattr(module, schema_name)


def _independent_errors(schema_name: str, body: object) -> typing.List[object]:
    # The emulator's validator: openapi-schema-validator over the definition,
    # code icasdk's own checks share nothing with. The runner refuses to start
    # without it (``run.missing_packages``), so no body goes unchecked.
    from icasdk.emulator import validation

    schema = {"$ref": f"#/components/schemas/{schema_name}"}
    return list(validation.schema_errors(schema, body))
