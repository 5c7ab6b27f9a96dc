"""JSON API v1: product search, categories, the OpenAPI document and its agreement with the
implementation (checked here by hand: no schema-validator dependency)."""

import json
import re
from pathlib import Path

import pytest

import tests.access  # noqa: F401  (loads every access_* module, ours included, in order)
from matchmaker.api.routes import CATEGORY_PARAMETERS
from matchmaker.catalogue.search_params import PARAMETERS
from matchmaker.extensions import db
from tests import factories
from tests.access_search import HA_TINH, NGHE_AN, make_org, make_product
from tests.conftest import log_in

OPENAPI = json.loads((Path(__file__).parents[1] / "matchmaker" / "api" / "openapi.json")
                     .read_text(encoding="utf-8"))


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = OPENAPI["components"]["schemas"][name]
    return schema


def check(value, schema: dict, where: str = "$") -> None:
    """The subset of JSON Schema our document uses: type (with null), required, properties,
    items, enum, minimum, maximum, $ref. Raises AssertionError with the path of a mismatch."""
    schema = resolve(schema)
    types = schema.get("type")
    if types:
        types = types if isinstance(types, list) else [types]
        python = {"object": dict, "array": list, "string": str, "null": type(None),
                  "integer": int, "boolean": bool}
        assert any(isinstance(value, python[t]) and not (t == "integer" and
                   isinstance(value, bool)) for t in types), f"{where}: {value!r} not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, int) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value), where
        assert value <= schema.get("maximum", value), where
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name}"
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(value[name], sub, f"{where}.{name}")
        if "properties" in schema and "additionalProperties" not in schema:
            extra = set(value) - set(schema["properties"])
            assert not extra, f"{where}: undocumented {extra}"
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], f"{where}[{i}]")


def response_schema(path: str, status: str = "200") -> dict:
    responses = OPENAPI["paths"][path]["get"]["responses"]
    response = responses[status]
    if "$ref" in response:
        response = OPENAPI["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


@pytest.fixture
def shop(app_ctx):
    org = make_org("Công ty CP Thủy sản Nghệ An")
    items = {
        "cl28": make_product(org, "Nước mắm Cửa Lò CL28", "I.4.a", "2103", ocop_stars=4,
                             cover=True, unit="chai", price_min_vnd=60_000,
                             price_max_vnd=90_000),
        "ha_tho": make_product(org, "Nước mắm hạ thổ", "I.4.a", unit="chai"),
        "mat_ong": make_product(make_org("HTX Hương Sơn", HA_TINH), "Mật ong rừng", hs="0409"),
        "hidden": make_product(org, "Nước mắm cũ", "I.4.a", active=False),
    }
    db.session.commit()
    return items


def test_products_answer_shape(client, shop):
    response = client.get("/api/v1/products?q=nuoc+mam+cua+lo")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"]) == (1, 1, 20)
    product = shop["cl28"]
    cover = product.images[0]
    assert body["items"] == [{
        "id": product.id,
        "name": "Nước mắm Cửa Lò CL28",
        "producer": {"id": product.organisation_id, "name": "Công ty CP Thủy sản Nghệ An"},
        "categories": [
            {"scheme": "ocop", "code": "I.4.a", "path": "ocop/I/I.4/I.4.a",
             "name": "Tương, nước mắm, gia vị dạng lỏng khác",
             "name_vi": "Tương, nước mắm, gia vị dạng lỏng khác", "name_en": None},
            {"scheme": "hs", "code": "2103", "path": "hs/IV/21/2103",
             "name": product.hs_category.name_en, "name_vi": None,
             "name_en": product.hs_category.name_en},
        ],
        "unit": "chai",
        "price_min_vnd": 60_000,
        "price_max_vnd": 90_000,
        "ocop_stars": 4,
        "province_code": NGHE_AN,
        "url": f"http://localhost/products/{product.id}",
        "thumbnail_url": f"http://localhost/products/{product.id}/images/{cover.id}/thumb",
    }]
    check(body, response_schema("/api/v1/products"))


def test_products_use_the_page_parameters(client, shop):
    def get(query):
        body = client.get("/api/v1/products" + query).get_json()
        return [item["name"] for item in body["items"]], body["total"]

    assert get("?q=NƯỚC MẮM&sort=name") == (["Nước mắm Cửa Lò CL28", "Nước mắm hạ thổ"], 2)
    assert get("?category=ocop/I") == (["Nước mắm hạ thổ", "Nước mắm Cửa Lò CL28"], 2)
    assert get(f"?province={HA_TINH}") == (["Mật ong rừng"], 1)
    assert get("?stars=4&price_max=70.000") == (["Nước mắm Cửa Lò CL28"], 1)
    assert get("?per_page=1&page=2&sort=name") == (["Nước mắm Cửa Lò CL28"], 3)
    assert get("?page=7") == ([], 3)
    assert get("?unknown=1") == (["Mật ong rừng", "Nước mắm hạ thổ",
                                  "Nước mắm Cửa Lò CL28"], 3)
    body = client.get("/api/v1/products?per_page=500").get_json()
    assert body["per_page"] == 100
    for item in body["items"]:
        assert item["name"] != "Nước mắm cũ"  # inactive


def test_bad_parameters_get_400_json_with_the_fields(client, shop):
    response = client.get("/api/v1/products?page=0&price_min=-5&sort=price&q=" + "x" * 201)
    assert response.status_code == 400 and response.mimetype == "application/json"
    body = response.get_json()
    check(body, response_schema("/api/v1/products", "400"))
    assert body["error"]["code"] == 400
    assert set(body["error"]["fields"]) == {"page", "price_min", "sort", "q"}
    response = client.get("/api/v1/products?category=ocop/IX")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"category"}
    for query in ('q="', "q=*", "q=nuoc OR mam", "q=-mam", "q=NEAR(a b)"):
        assert client.get("/api/v1/products?" + query).status_code == 200


def test_error_messages_follow_the_visitors_language(client, no_csrf, shop):
    client.post("/language", data={"lang": "en"})
    body = client.get("/api/v1/products?stars=2").get_json()
    assert body["error"]["fields"] == {"stars": "OCOP stars must be 3, 4 or 5."}
    assert body["error"]["message"] == "Some parameters are not valid."


def test_categories_roots_of_both_trees(client, app_ctx):
    body = client.get("/api/v1/categories").get_json()
    check(body, response_schema("/api/v1/categories"))
    paths = [item["path"] for item in body["items"]]
    assert paths[:6] == ["ocop/I", "ocop/II", "ocop/III", "ocop/IV", "ocop/V", "ocop/VI"]
    assert paths[6:9] == ["hs/I", "hs/II", "hs/III"] and len(paths) == 6 + 21
    assert body["total"] == 27
    first = body["items"][0]
    assert first == {"scheme": "ocop", "code": "I", "path": "ocop/I", "level": 1,
                     "parent_path": None, "name_vi": "Sản phẩm thực phẩm",
                     "name_en": "Food products", "set_number": None}


def test_categories_whole_ocop_tree_and_children_of_a_node(client, app_ctx):
    body = client.get("/api/v1/categories?scheme=ocop&depth=4").get_json()
    assert body["total"] == 39
    seen = set()
    for item in body["items"]:  # parents before children
        assert item["parent_path"] is None or item["parent_path"] in seen
        seen.add(item["path"])
    assert {i["set_number"] for i in body["items"]} - {None} == set(range(1, 27))

    body = client.get("/api/v1/categories?parent=ocop/I").get_json()
    assert [i["code"] for i in body["items"]] == ["I.1", "I.2", "I.3", "I.4", "I.5", "I.6"]
    body = client.get("/api/v1/categories?parent=hs/II/09&depth=1").get_json()
    assert body["items"][0]["code"] == "0901" and all(i["level"] == 3 for i in body["items"])
    body = client.get("/api/v1/categories?parent=hs/II/09/0902&depth=2").get_json()
    assert {i["code"] for i in body["items"]} == {"090210", "090220", "090230", "090240"}


def test_categories_bad_parameters(client, app_ctx):
    for query, field in [("scheme=cpc", "scheme"), ("depth=0", "depth"), ("depth=x", "depth"),
                         ("parent=ocop/IX", "parent"), ("parent=x/y", "parent"),
                         ("scheme=hs&parent=ocop/I", "parent")]:
        response = client.get("/api/v1/categories?" + query)
        assert response.status_code == 400, query
        assert set(response.get_json()["error"]["fields"]) == {field}, query


def test_openapi_document_is_served_and_matches_the_routes(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document == OPENAPI
    assert document["openapi"].startswith("3.1.")
    assert {"title", "version"} <= set(document["info"])
    api_rules = {rule.rule for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith("api.")}
    assert set(document["paths"]) == api_rules
    for path, item in document["paths"].items():
        assert set(item) == {"get"}, path  # read-only API
        assert "200" in item["get"]["responses"]


def test_openapi_parameters_are_exactly_the_implemented_ones():
    def names(path):
        parameters = OPENAPI["paths"][path]["get"].get("parameters", [])
        assert all(p["in"] == "query" and "schema" in p for p in parameters)
        return [p["name"] for p in parameters]

    assert names("/api/v1/products") == list(PARAMETERS)
    assert names("/api/v1/categories") == list(CATEGORY_PARAMETERS)
    assert names("/api/v1/openapi.json") == []


def test_openapi_references_resolve():
    text = json.dumps(OPENAPI)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        section, kind, name = ref.removeprefix("#/").split("/")
        assert name in OPENAPI[section][kind], ref


def test_api_statement_count_does_not_grow(app, app_ctx, count_queries):
    client = app.test_client()
    log_in(client, factories.make_user())
    org = make_org("HTX Nghi Lộc")
    make_product(org, "Nước mắm Nghi Lộc", "I.4.a", cover=True)
    db.session.commit()
    urls = ["/api/v1/products?q=nuoc&category=ocop/I", "/api/v1/categories?depth=2"]
    with count_queries() as few:
        for url in urls:
            client.get(url)
    for i in range(50):
        make_product(org, f"Nước mắm Nghi Lộc {i}", "I.4.a", "2103", cover=True)
    db.session.commit()
    with count_queries() as many:
        for url in urls:
            assert client.get(url).status_code == 200
    assert many.count == few.count <= 2 * 2 + 2 + 1  # two loader statements per request
