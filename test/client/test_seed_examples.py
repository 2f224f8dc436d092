"""The seed page's four examples, run as written against the emulator.

Each example is taken from ``shared/seed/ProjectDataUpdateBatchApi.md`` and
run with only its placeholders filled: the host, the credentials, the ids,
the paging values and the tag lists that its template left empty. The JWT
part of each example builds ``Configuration(access_token=...)`` with no
host, so ``ICAV2_BASE_URL`` points that one at the emulator too.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import re
import typing

import pytest

from icasdk import ApiClient
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.emulator import Emulator
from icasdk.model.data_update_group import DataUpdateGroup
from icasdk.model.tag_update import TagUpdate

SEED_PAGE = (
    pathlib.Path(__file__).resolve().parents[3]
    / "shared"
    / "seed"
    / "ProjectDataUpdateBatchApi.md"
)

# The create example's tag template: TagUpdate's two lists, then one more field.
EMPTY_TAG_TEMPLATE = "TagUpdate(\n,\n,\n                ),\n,\n"
FILLED_TAGS = (
    "TagUpdate(\n"
    '                    add_tags=["reviewed"],\n'
    '                    remove_tags=["draft"],\n'
    "                ),\n"
    '                technical_tags=TagUpdate(add_tags=["qc-pass"]),\n'
)


def _examples() -> dict:
    """The page's Python examples by the operation they call."""
    if not SEED_PAGE.exists():
        pytest.skip(f"the seed page is not at {SEED_PAGE}")
    blocks = re.findall(r"```python\n(.*?)```", SEED_PAGE.read_text(), re.S)
    return {re.search(r"api_instance\.(\w+)\(", b).group(1): b for b in blocks}


class Seeded(typing.NamedTuple):
    """The running emulator and the real values for the placeholders."""

    emulator: Emulator
    project: str
    files: typing.List[str]
    batch: str
    item: str


@pytest.fixture
def seeded(monkeypatch) -> typing.Iterator[Seeded]:
    """A running emulator with a project, two files and one finished batch."""
    with Emulator(pace="step") as emu:
        project = emu.create_project("seed-examples")
        files = [
            emu.create_data(project, f"/sample{n}.fastq", user_tags=["draft"])
            for n in (1, 2)
        ]
        with ApiClient(emu.configuration()) as client:
            api = ProjectDataUpdateBatchApi(client)
            body = {"dataUpdateGroups": [{"dataIds": files}]}
            batch = api.create_project_data_update_batch(
                path_params={"projectId": project}, body=body
            ).body
            emu.finish()
            items = api.get_project_data_update_batch_items(
                path_params={"projectId": project, "batchId": batch.id}
            ).body["items"]

        monkeypatch.setenv("ICAV2_BASE_URL", emu.base_url)
        yield Seeded(emu, project, files, str(batch.id), str(items[0].id))


def _run(example: str, seeded: Seeded, **placeholders: str) -> str:
    """Fill the example's placeholders, run it, and return what it printed."""
    emu = seeded.emulator
    filled = example.replace('host = "/ica/rest"', f'host = "{emu.base_url}"')
    filled = filled.replace("'YOUR_API_KEY'", repr(emu.api_key))
    filled = filled.replace("'YOUR_BEARER_TOKEN'", repr(emu.access_token))
    for placeholder, value in placeholders.items():
        filled = filled.replace(f'"{placeholder}"', repr(value))
    assert "_example" not in filled

    # The create example uses these two models without importing them.
    namespace = {"DataUpdateGroup": DataUpdateGroup, "TagUpdate": TagUpdate}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(filled, "<seed example>", "exec"), namespace)
    return printed.getvalue()


def test_create_example_runs_unchanged(seeded):
    """create_project_data_update_batch's example creates a batch with the tags."""
    example = _examples()["create_project_data_update_batch"]
    assert EMPTY_TAG_TEMPLATE in example
    emulator = seeded.emulator
    before = emulator.batches_created

    printed = _run(
        example.replace(EMPTY_TAG_TEMPLATE, FILLED_TAGS),
        seeded,
        projectId_example=seeded.project,
        data_ids_example=seeded.files[0],
    )

    assert "Exception when calling" not in printed
    assert "ApiResponseFor201(" in printed
    assert emulator.batches_created == before + 1
    emulator.finish()
    user_tags, technical_tags = emulator.data_tags(seeded.files[0])
    assert "reviewed" in user_tags and "draft" not in user_tags
    assert technical_tags == ("qc-pass",)


def test_get_batch_example_runs_unchanged(seeded):
    """get_project_data_update_batch's example prints the batch."""
    printed = _run(
        _examples()["get_project_data_update_batch"],
        seeded,
        projectId_example=seeded.project,
        batchId_example=seeded.batch,
    )

    assert "Exception when calling" not in printed
    assert "ApiResponseFor200(" in printed
    assert seeded.batch in printed
    assert "SUCCEEDED" in printed


def test_get_item_example_runs_unchanged(seeded):
    """get_project_data_update_batch_item's example prints the item."""
    printed = _run(
        _examples()["get_project_data_update_batch_item"],
        seeded,
        projectId_example=seeded.project,
        batchId_example=seeded.batch,
        itemId_example=seeded.item,
    )

    assert "Exception when calling" not in printed
    assert seeded.item in printed
    assert "UPDATED" in printed


def test_get_items_example_runs_unchanged(seeded):
    """get_project_data_update_batch_items' example lists items twice, filtered."""
    printed = _run(
        _examples()["get_project_data_update_batch_items"],
        seeded,
        projectId_example=seeded.project,
        batchId_example=seeded.batch,
        pageOffset_example="0",
        pageToken_example="",
        pageSize_example="10",
        sort_example="dataId",
    )

    assert "Exception when calling" not in printed
    assert printed.count("ApiResponseFor200(") == 2
    assert all(file_id in printed for file_id in seeded.files)


def test_seed_example_error_is_caught_as_api_exception(seeded):
    """A wrong batch id makes the example print its ApiException message."""
    printed = _run(
        _examples()["get_project_data_update_batch"],
        seeded,
        projectId_example=seeded.project,
        batchId_example="3fa85f64-5717-4562-b3fc-2c963f66afa6",
    )

    assert printed.startswith(
        "Exception when calling ProjectDataUpdateBatchApi->"
        "get_project_data_update_batch: HTTP 404 Not Found: "
    )
    assert seeded.emulator.access_token not in printed
