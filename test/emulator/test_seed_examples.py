"""The seed page's examples, run through icasdk against the emulator.

The other emulator tests speak raw urllib3 so the emulator is checked on its
own; this one checks that the documented client surface works end to end on
it, with an API key and with a bearer token, as the seed page shows.
"""

from __future__ import annotations

import pytest

icasdk = pytest.importorskip("icasdk")
api_module = pytest.importorskip("icasdk.apis.tags.project_data_update_batch_api")
create_module = pytest.importorskip("icasdk.model.create_project_data_update_batch")
group_module = pytest.importorskip("icasdk.model.data_update_group")
tag_module = pytest.importorskip("icasdk.model.tag_update")


def _configurations(emu):
    by_key = icasdk.Configuration(host=emu.base_url)
    by_key.api_key["ApiKeyAuth"] = emu.api_key
    by_token = icasdk.Configuration(host=emu.base_url, access_token=emu.access_token)
    return [by_key, by_token]


@pytest.mark.parametrize("credential", [0, 1], ids=["api-key", "bearer"])
def test_the_seed_examples_run_on_the_emulator(emu, project, credential):
    """Create, get, list (both optional-value forms) and get item all succeed."""
    data = emu.create_data(project, "/sample.bam")
    configuration = _configurations(emu)[credential]

    with icasdk.ApiClient(configuration) as api_client:
        api_instance = api_module.ProjectDataUpdateBatchApi(api_client)
        body = create_module.CreateProjectDataUpdateBatch(
            data_update_groups=[
                group_module.DataUpdateGroup(
                    data_ids=[data],
                    user_tags=tag_module.TagUpdate(add_tags=["seed"], remove_tags=[]),
                )
            ],
        )
        created = api_instance.create_project_data_update_batch(
            path_params={"projectId": project}, body=body
        )
        batch_params = {"projectId": project, "batchId": created.body.id}
        emu.finish()
        fetched = api_instance.get_project_data_update_batch(path_params=batch_params)
        listed = api_instance.get_project_data_update_batch_items(
            path_params=batch_params, query_params={}
        )
        offset = api_instance.get_project_data_update_batch_items(
            path_params=batch_params,
            query_params={
                "status": ["UPDATED"],
                "pageOffset": "0",
                "pageSize": "10",
                "sort": "dataId desc",
            },
        )
        item_id = listed.body["items"][0]["id"]
        item = api_instance.get_project_data_update_batch_item(
            path_params=dict(batch_params, itemId=item_id)
        )

    assert created.response.status == 201
    assert fetched.body["job"]["status"] == "SUCCEEDED"
    assert offset.body["totalItemCount"] == 1
    assert item.body["request"]["dataId"] == data
    assert emu.data_tags(data) == (("seed",), ())


def test_an_emulator_problem_is_an_api_exception(emu, project):
    """A 404 from the emulator raises icasdk.ApiException with its status."""
    configuration = _configurations(emu)[0]

    with icasdk.ApiClient(configuration) as api_client:
        api_instance = api_module.ProjectDataUpdateBatchApi(api_client)
        with pytest.raises(icasdk.ApiException) as caught:
            api_instance.get_project_data_update_batch(
                path_params={
                    "projectId": project,
                    "batchId": "0c0f6a2e-8d5a-4b8e-9d0a-2b8f0e1c9a11",
                }
            )

    assert caught.value.status == 404


def test_the_example_passing_every_optional_value_runs(emu, project):
    """status, pageOffset, pageToken, pageSize and sort together: an offset page."""
    data = [emu.create_data(project, "/s%d.bam" % i) for i in range(3)]
    configuration = _configurations(emu)[0]

    with icasdk.ApiClient(configuration) as api_client:
        api_instance = api_module.ProjectDataUpdateBatchApi(api_client)
        created = api_instance.create_project_data_update_batch(
            path_params={"projectId": project},
            body={"dataUpdateGroups": [{"dataIds": data}]},
        )
        path_params = {"projectId": project, "batchId": created.body.id}
        first = api_instance.get_project_data_update_batch_items(
            path_params=path_params, query_params={"pageSize": "1"}
        )
        every = api_instance.get_project_data_update_batch_items(
            path_params=path_params,
            query_params={
                "status": ["INITIALISED"],
                "pageOffset": "0",
                "pageToken": first.body["nextPageToken"],
                "pageSize": "2",
                "sort": "dataId desc",
            },
        )

    listed = [item["request"]["dataId"] for item in every.body["items"]]
    assert every.response.status == 200
    assert listed == sorted(data, reverse=True)[:2]
    assert every.body["totalItemCount"] == 3 and every.body["nextPageToken"] == ""
