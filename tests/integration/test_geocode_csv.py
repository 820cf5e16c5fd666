"""Batch geocoding (addok-csv's /search/csv/ and /reverse/csv/): multipart uploads built by
hand, against a server on an index of the BAN extract for Mont-Bonvillers (54084)."""
import csv
import io
import random
import uuid

import pytest

from conftest import Server, http_request, run_rbmap

COLUMNS = ["numero", "rep", "nom_voie", "code_post", "nom_commune"]


@pytest.fixture(scope="module")
def ban_rows(shared_data):
    with open(f"{shared_data}/addresses/ban-54084.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter=";"))


@pytest.fixture(scope="module")
def srv(rbmap_bin, demo_dsn, shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("geocsv") / "ban.idx"
    r = run_rbmap(rbmap_bin, "import-ban", "--output", str(out), "--cog", f"{shared_data}/cog",
                  f"{shared_data}/addresses/ban-54084.csv")
    assert r.returncode == 0, r.stderr
    s = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("geocsvserver"), env={"RBMAP_GEOCODER_INDEX": str(out)})
    yield s
    s.stop()  # checks a clean exit and no sanitizer report


def multipart(fields, data=None):
    """(body, content type) of a multipart/form-data upload; fields: (name, value) pairs."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if data is not None:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="in.csv"\r\n'
                  f'Content-Type: text/csv\r\n\r\n'.encode() + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def post(srv, path, fields, data=None):
    body, ctype = multipart(fields, data)
    return http_request("POST", srv.url + path, body, {"Content-Type": ctype})


def to_csv(header, rows, delimiter=","):
    f = io.StringIO()
    w = csv.writer(f, delimiter=delimiter)
    w.writerow(header)
    w.writerows(rows)
    return f.getvalue().encode()


def parse(body, delimiter=","):
    return list(csv.DictReader(io.StringIO(body.decode()), delimiter=delimiter))


def number_of(row):
    return (row["numero"] + row["rep"]).lower()


def test_search_csv_fifty_rows_quoting_and_garbage(srv, ban_rows):
    same = {}
    for r in ban_rows:
        same.setdefault((r["nom_voie"], number_of(r)), []).append(r)
    sample = random.Random(11).sample(ban_rows, 50)
    note = 'a, "quoted" note\nover two lines'
    rows = [[str(i), note if i % 7 == 0 else f"n{i}"] + [r[c] for c in COLUMNS] for i, r in enumerate(sample)]
    rows.append(["garbage", "x", "", "", "zzqxw kkvbq", "", ""])
    data = to_csv(["id", "note"] + COLUMNS, rows)
    st, headers, body = post(srv, "/geocode/search/csv/", [("columns", c) for c in COLUMNS], data)
    assert st == 200, body
    assert headers["Content-Type"].startswith("text/csv")
    out = parse(body)
    assert len(out) == 51
    assert list(out[0])[:7] == ["id", "note"] + COLUMNS
    assert list(out[0])[7:] == ["latitude", "longitude", "result_label", "result_score", "result_score_next",
                                "result_type", "result_id", "result_housenumber", "result_name", "result_street",
                                "result_postcode", "result_city", "result_context", "result_citycode"]
    for i, (row, got) in enumerate(zip(sample, out)):
        assert got["id"] == str(i) and got["note"] == (note if i % 7 == 0 else f"n{i}")
        assert got["result_citycode"] == "54084" and got["result_housenumber"] == number_of(row), got
        assert float(got["result_score"]) > 0.5
        assert got["result_context"] == "54, Meurthe-et-Moselle, Grand Est"
        assert any(abs(float(got["latitude"]) - float(t["lat"])) < 1e-5
                   and abs(float(got["longitude"]) - float(t["lon"])) < 1e-5
                   for t in same[(row["nom_voie"], number_of(row))]), (row, got)
    assert out[50]["id"] == "garbage"
    assert all(out[50][k] == "" for k in list(out[50])[7:]), out[50]


def test_search_csv_semicolon_filters_and_result_columns(srv, ban_rows):
    row = ban_rows[10]
    data = to_csv(["adresse", "cp", "insee"], [[f"{row['numero']} {row['nom_voie']}", row["code_post"], "54084"],
                                             [f"{row['numero']} {row['nom_voie']}", row["code_post"], "75056"]], ";")
    st, _, body = post(srv, "/geocode/search/csv/", [("columns", "adresse"), ("citycode", "insee"),
                                                     ("result_columns", "result_id"),
                                                     ("result_columns", "result_label")], data)
    assert st == 200, body
    assert body.split(b"\r\n")[0] == b"adresse;cp;insee;result_label;result_id"
    out = parse(body, ";")
    assert out[0]["result_id"] and row["nom_voie"].lower() in out[0]["result_label"].lower()
    assert out[1]["result_id"] == "" and out[1]["result_label"] == ""  # filtered out by citycode


def test_reverse_csv_house_numbers(srv, ban_rows):
    at = {}
    for r in ban_rows:
        at.setdefault((round(float(r["lat"]), 6), round(float(r["lon"]), 6)), set()).add(number_of(r))
    sample = random.Random(5).sample(ban_rows, 30)
    data = to_csv(["name", "lat", "lon"], [[r["id"], r["lat"], r["lon"]] for r in sample] + [["bad", "x", "y"]])
    st, _, body = post(srv, "/geocode/reverse/csv/", [], data)
    assert st == 200, body
    out = parse(body)
    assert len(out) == 31
    for r, got in zip(sample, out):
        assert got["result_housenumber"] in at[(round(float(r["lat"]), 6), round(float(r["lon"]), 6))], got
        assert got["result_citycode"] == "54084" and int(got["result_distance"]) < 1
    assert out[30]["result_id"] == ""
    data = to_csv(["latitude", "longitude"], [[sample[0]["lat"], sample[0]["lon"]]], "\t")
    st, _, body = post(srv, "/geocode/reverse/csv", [], data)
    assert st == 200, body
    got = parse(body, "\t")[0]
    assert got["result_housenumber"] in at[(round(float(sample[0]["lat"]), 6), round(float(sample[0]["lon"]), 6))]


@pytest.mark.parametrize("path,fields,data,ctype,word", [
    ("/geocode/search/csv/", [("columns", "a")], None, None, "data"),
    ("/geocode/search/csv/", [("columns", "nope")], b"a,b\n1,2\n", None, "nope"),
    ("/geocode/search/csv/", [("columns", "a")], b"a,b\n\"1,2\n", None, "unterminated"),
    ("/geocode/search/csv/", [("columns", "a")], b"", None, "header"),
    ("/geocode/search/csv/", [("delimiter", "|")], b"a\n", None, "delimiter"),
    ("/geocode/reverse/csv/", [], b"a,b\n1,2\n", None, "lat"),
    ("/geocode/search/csv/", [], None, "application/x-www-form-urlencoded", "multipart"),
    ("/geocode/search/csv/", [], None, "multipart/form-data; boundary=zzz", "boundary"),
])
def test_bad_batch_input(srv, path, fields, data, ctype, word):
    body, default_ctype = multipart(fields, data)
    st, _, resp = http_request("POST", srv.url + path, body, {"Content-Type": ctype or default_ctype})
    assert st == 400 and word in resp.decode(), resp


def test_import_explicit_cog_dir_must_exist(rbmap_bin, shared_data, tmp_path):
    r = run_rbmap(rbmap_bin, "import-ban", "--output", str(tmp_path / "x.idx"), "--cog", str(tmp_path / "none"),
                  f"{shared_data}/addresses/ban-54084.csv")
    assert r.returncode == 1 and "departements.json" in r.stderr
