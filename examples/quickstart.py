"""Tag a few files and follow the batch to the end.

Runs against ICA when ICAV2_BASE_URL and ICAV2_X_API_KEY (or
ICAV2_ACCESS_TOKEN) and ICAV2_PROJECT_ID are set and ICAV2_DATA_IDS lists
data ids (comma-separated); otherwise against the built-in emulator.
"""

from __future__ import annotations

import contextlib
import os

import icasdk
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.model.create_project_data_update_batch import CreateProjectDataUpdateBatch
from icasdk.model.data_update_group import DataUpdateGroup
from icasdk.model.tag_update import TagUpdate


def target(stack: contextlib.ExitStack):
    """(configuration, project id, data ids): ICA from the environment, or an emulator."""
    if os.environ.get("ICAV2_PROJECT_ID") and os.environ.get("ICAV2_DATA_IDS"):
        configuration = icasdk.Configuration(
            host=os.environ.get("ICAV2_BASE_URL", "https://ica.illumina.com/ica/rest"),
            api_key={"ApiKeyAuth": os.environ["ICAV2_X_API_KEY"]}
            if "ICAV2_X_API_KEY" in os.environ
            else None,
            access_token=os.environ.get("ICAV2_ACCESS_TOKEN"),
        )
        return configuration, os.environ["ICAV2_PROJECT_ID"], os.environ["ICAV2_DATA_IDS"].split(",")

    from icasdk.emulator import Emulator

    emulator = stack.enter_context(Emulator())
    project_id = emulator.create_project("quickstart")
    data_ids = [emulator.create_data(project_id, f"/run1/sample{n}.bam") for n in range(5)]
    print(f"No ICA credentials set: using the built-in emulator at {emulator.base_url}")
    return emulator.configuration(), project_id, data_ids


def main() -> None:
    with contextlib.ExitStack() as stack:
        configuration, project_id, data_ids = target(stack)
        api = ProjectDataUpdateBatchApi(stack.enter_context(icasdk.ApiClient(configuration)))

        body = CreateProjectDataUpdateBatch(
            data_update_groups=[
                DataUpdateGroup(
                    data_ids=data_ids,
                    user_tags=TagUpdate(add_tags=["subject_id=SBJ00123"]),
                    technical_tags=TagUpdate(add_tags=["pipeline=quickstart"]),
                )
            ]
        )
        created = api.create_project_data_update_batch(
            path_params={"projectId": project_id}, body=body
        )
        batch_path = {"projectId": project_id, "batchId": created.body.id}
        print(f"created batch {created.body.id}: job {created.body.job.status}")

        result = api.wait_for_project_data_update_batch(
            path_params=batch_path,
            on_progress=lambda status, counts: print(f"  {status}: {dict(counts)}"),
            initial_interval=0.5,
        )
        print(f"job finished: {result.status}")
        for item in api.iter_project_data_update_batch_items(path_params=batch_path):
            print(f"  {item.request.data_id}: {item.processing.status}")


if __name__ == "__main__":
    main()
