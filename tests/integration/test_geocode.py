"""Geocoder (issue 7): `rbmap import-ban` on the real BAN extracts of ../shared/data, then
/geocode/search/ and /geocode/reverse/ of a server started on that index."""
import csv
import json
import random
import urllib.parse

import pytest

from conftest import Server, http_get, run_rbmap

ABBREV = {"rue": "r", "allée": "all", "avenue": "av", "impasse": "imp", "place": "pl", "chemin": "ch"}


@pytest.fixture(scope="module")
def index_file(rbmap_bin, shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("geocode") / "ban.idx"
    r = run_rbmap(rbmap_bin, "import-ban", "--output", str(out), f"{shared_data}/addresses/ban-54084.csv",
                  f"{shared_data}/addresses/ban-addok-988.ndjson.gz")
    assert r.returncode == 0, r.stderr
    assert "1974 documents, 41375 house numbers, 0 malformed" in r.stderr
    return out


@pytest.fixture(scope="module")
def rows(shared_data):
    with open(f"{shared_data}/addresses/ban-54084.csv", encoding="utf-8") as f:
        all_rows = list(csv.DictReader(f, delimiter=";"))
    assert len(all_rows) == 501
    # A few (street, number) pairs appear twice at different points (21 rue de landres,
    # 350 m apart): no query can tell them apart, so any of them is the right answer.
    same = {}
    for r in all_rows:
        same.setdefault((r["nom_voie"], number_of(r)), []).append(r)
    sample = random.Random(7).sample(all_rows, 200)
    for r in sample:
        r["twins"] = same[(r["nom_voie"], number_of(r))]
    return sample


@pytest.fixture(scope="module")
def geo(rbmap_bin, demo_dsn, index_file, tmp_path_factory):
    srv = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("geoserver"),
                 env={"RBMAP_GEOCODER_INDEX": str(index_file)})

    def get(path, **params):
        status, _, body = http_get(srv.url + path + "?" + urllib.parse.urlencode(params, doseq=True))
        return status, json.loads(body)
    yield get
    srv.stop()  # checks a clean exit and no sanitizer report


def number_of(row):
    return (row["numero"] + row["rep"]).lower()


def label_query(row, street=None):
    return f"{row['numero']} {row['rep']} {street or row['nom_voie']} {row['code_post']} {row['nom_commune']}"


def first_is(doc, row):
    if not doc["features"]:
        return False
    f = doc["features"][0]
    lon, lat = f["geometry"]["coordinates"]
    p = f["properties"]
    return p.get("housenumber") == number_of(row) and p["citycode"] == "54084" and any(
        abs(lon - float(t["lon"])) < 1e-5 and abs(lat - float(t["lat"])) < 1e-5
        and abs(p["x"] - float(t["x"])) < 1 and abs(p["y"] - float(t["y"])) < 1 for t in row["twins"])


def typo(word, rng):
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    i = rng.choice(letters[1:] or letters)
    c = rng.choice([x for x in "abcdefghijklmnopqrstuvwxyz" if x != word[i]])
    return word[:i] + c + word[i + 1:]


def test_search_sample_exact_typo_abbrev_autocomplete(geo, rows):
    rng = random.Random(1)
    exact = typos = abbrevs = auto = 0
    misses = []
    for row in rows:
        st, doc = geo("/geocode/search/", q=label_query(row))
        assert st == 200
        assert doc["type"] == "FeatureCollection" and doc["attribution"] == "BAN" and doc["licence"] == "ETALAB-2.0"
        assert all(0 <= f["properties"]["score"] <= 1 for f in doc["features"])
        exact += first_is(doc, row)
        if not first_is(doc, row):
            misses.append(label_query(row))
        words = row["nom_voie"].split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        words[longest] = typo(words[longest], rng) if len(words[longest]) >= 5 else words[longest]
        typos += first_is(geo("/geocode/search/", q=label_query(row, " ".join(words)))[1], row)
        first = row["nom_voie"].split()[0]
        short = " ".join([ABBREV.get(first, first)] + row["nom_voie"].split()[1:])
        abbrevs += first_is(geo("/geocode/search/", q=label_query(row, short))[1], row)
        q = f"{row['numero']} {row['rep']} {row['nom_voie']}"
        auto += first_is(geo("/geocode/search/", q=q[: len(q) - 2] if len(q.split()[-1]) > 4 else q)[1], row)
    print(f"hit@1 exact {exact}/200, typo {typos}/200, abbreviated {abbrevs}/200, autocomplete {auto}/200")
    assert exact >= 198, misses[:5]
    assert typos >= 180 and abbrevs >= 190 and auto >= 170


def test_reverse_each_sampled_point(geo, rows):
    for row in rows:
        st, doc = geo("/geocode/reverse/", lon=row["lon"], lat=row["lat"])
        assert st == 200 and len(doc["features"]) == 1
        p = doc["features"][0]["properties"]
        assert p["distance"] < 1
        assert p["housenumber"] == number_of(row) or p["distance"] < 1, p
    st, doc = geo("/geocode/reverse/", lon=rows[0]["lon"], lat=rows[0]["lat"], type="street", limit=3)
    assert st == 200 and {f["properties"]["type"] for f in doc["features"]} == {"street"}


def test_new_caledonia_streets_and_filters(geo, shared_data):
    import gzip
    streets = []
    with gzip.open(f"{shared_data}/addresses/ban-addok-988.ndjson.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["type"] == "street" and d["housenumbers"]:
                streets.append(d)
    sample = random.Random(3).sample(streets, 60)
    found = 0
    for d in sample:
        st, doc = geo("/geocode/search/", q=f"{d['name']} {d['city'][0]}", type="street", limit=5)
        assert st == 200
        found += any(f["properties"]["id"] == d["id"] for f in doc["features"][:1])
    assert found >= 55, found
    d = sample[0]
    hn, h = next(iter(d["housenumbers"].items()))
    st, doc = geo("/geocode/search/", q=f"{hn} {d['name']} {d['city'][0]}", citycode=d["citycode"][0])
    assert doc["features"][0]["properties"]["id"] == h["id"]
    assert all(f["properties"]["citycode"] == d["citycode"][0] for f in doc["features"])
    st, doc = geo("/geocode/search/", q="rue", citycode="54084", limit=50)
    assert doc["features"] and all(f["properties"]["citycode"] == "54084" for f in doc["features"])
    st, doc = geo("/geocode/search/", q="Mont-Bonvillers", type="municipality")
    assert [f["properties"]["type"] for f in doc["features"]] == ["municipality"]
    st, doc = geo("/geocode/search/", q="rue nationale", postcode="98800")
    assert all(f["properties"]["postcode"] == "98800" for f in doc["features"])
    st, doc = geo("/geocode/search/", q="12 rue nationale 54111", type="housenumber")
    assert doc["features"] and all(f["properties"]["type"] == "housenumber" for f in doc["features"])


@pytest.mark.parametrize("params,name", [
    ({"q": "x" * 201}, "q"), ({"q": "ab"}, "q"), ({"q": "rue nationale", "limit": "0"}, "limit"),
    ({"q": "rue nationale", "limit": "abc"}, "limit"), ({"q": "rue nationale", "lat": "49"}, "lon"),
    ({"q": "rue nationale", "lat": "abc", "lon": "5"}, "lat"), ({"q": "rue nationale", "type": "city"}, "type"),
    ({"q": "rue nationale", "citycode": "5408"}, "citycode")])
def test_bad_search_input(geo, params, name):
    st, doc = geo("/geocode/search/", **params)
    assert st == 400 and name in doc["error"]["message"], doc


def test_bad_reverse_input(geo):
    st, doc = geo("/geocode/reverse", lon="5.8")
    assert st == 400 and "lat" in doc["error"]["message"]
    st, doc = geo("/geocode/reverse", lon="500", lat="49")
    assert st == 400 and "lon" in doc["error"]["message"]


def test_malformed_line_reported_and_skipped(rbmap_bin, shared_data, tmp_path):
    src = open(f"{shared_data}/addresses/ban-54084.csv", encoding="utf-8").read().splitlines()
    src.insert(5, "garbage;without;enough;fields")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(src) + "\n", encoding="utf-8")
    r = run_rbmap(rbmap_bin, "import-ban", "--output", str(tmp_path / "b.idx"), str(bad))
    assert r.returncode == 0, r.stderr
    assert f"{bad}:6:" in r.stderr and "1 malformed lines skipped" in r.stderr


def test_no_index_503_and_truncated_index_refused(start_server, demo_dsn, index_file, rbmap_bin, tmp_path):
    srv = start_server(demo_dsn, env={"RBMAP_GEOCODER_INDEX": str(tmp_path / "missing.idx")})
    st, _, body = http_get(srv.url + "/geocode/search/?q=rue+nationale")
    assert st == 503 and b"import-ban" in body
    cut = tmp_path / "cut.idx"
    cut.write_bytes(index_file.read_bytes()[: index_file.stat().st_size // 2])
    r = run_rbmap(rbmap_bin, "serve", "--listen", "127.0.0.1:1", "--db", demo_dsn,
                  env={"RBMAP_GEOCODER_INDEX": str(cut)}, timeout=60)
    assert r.returncode != 0 and "refused" in r.stderr and "truncated" in r.stderr, r.stderr
