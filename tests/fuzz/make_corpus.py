#!/usr/bin/python3
"""make_corpus.py - writes the hand-made seed corpora of the fuzz targets
into tests/fuzz/corpus/<target>/ (run once; the files are committed).

Seeds: the first rows of the bundled sample CSVs (tests/data/sample) and
edge cases (BOM, CRLF, quoting, blank and empty rows, unknown and missing
columns, duplicates, bad values); one packed fairmatch.v1.Request per
method (the schema compiled with protoc into a temporary directory) and
a few broken frames; frame streams with several, empty, split and
too-large frames; policy and config files, good and bad.  Inputs that a
long fuzzing run found interesting, and every crash, are added to the same
directories by hand (named crash-* / regress-*), never by this script.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLE = os.path.join(ROOT, "tests", "data", "sample")
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def head(kind, rows):
    with open(os.path.join(SAMPLE, kind + ".csv"), encoding="utf-8") as f:
        return "".join(f.readlines()[: rows + 1])


def csv_seeds():
    for kind in ("students", "placements", "mentors", "schools"):
        t = "fuzz_csv_" + kind
        text = head(kind, 6)
        header, first = text.splitlines()[0], text.splitlines()[1]
        put(t, "sample", text)
        put(t, "bom_crlf", "\ufeff" + text.replace("\n", "\r\n"))
        put(t, "header_only", header + "\n")
        put(t, "empty", "")
        put(t, "blank_and_empty_rows", header + "\n\n" + first + "\n" + "," * header.count(",") + "\n")
        put(t, "duplicate_ref", header + "\n" + first + "\n" + first + "\n")
        put(t, "unknown_column", header + ",notes\n" + first + ',"a ""quoted"", text\nwith a newline"\n')
        cols = header.split(",")
        put(t, "missing_column", ",".join(cols[1:]) + "\n" + ",".join(first.split(",")[1:]) + "\n")
        put(t, "short_row", header + "\n" + ",".join(first.split(",")[:2]) + "\n")
        put(t, "bad_quote", header + '\n"' + first + "\n")
        put(t, "shuffled_columns", ",".join(reversed(cols)) + "\n" + ",".join(reversed(first.split(","))) + "\n")
        put(t, "no_final_newline", text.rstrip("\n"))
    put("fuzz_csv_students", "bad_values",
        "student_ref,school_ref,birth_date,gender,lat,lon,max_travel_km,low_income,looked_after,"
        "gifted,needs_access,sectors,weeks,wants_placement,wants_mentor\n"
        "S1,SCH0001,2011-02-30,Q,91,-181,-5,2,0,0,0,a|a|b|c|d|e,2027-W54,1,0\n")
    put("fuzz_csv_placements", "bad_values",
        "placement_ref,employer_ref,title,sector,capacity,lat,lon,virtual,accessible,profession,"
        "min_age,week,reserve_pct\nP1,EMP00001,T,health,0,,,0,0,0,12,2027-W00,101\n")
    put("fuzz_csv_mentors", "bad_values",
        "mentor_ref,organisation,sectors,capacity,lat,lon,online,max_travel_km,dbs_valid_until\n"
        "M1,O,,51,,,0,,2028-13-01\n")
    put("fuzz_csv_schools", "bad_values", "school_ref,name,lat,lon\nSCH 1,N,nan,inf\n")


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def frame_seeds():
    # byte 0: max / 64, byte 1: piece size - 1, byte 2: feed/want pattern
    put("fuzz_frame", "two_frames", bytes([255, 255, 0x55]) + frame(b"hello") + frame(b"world!"))
    put("fuzz_frame", "empty_frames", bytes([1, 0, 0xff]) + frame(b"") + frame(b"") + frame(b"x"))
    put("fuzz_frame", "byte_by_byte", bytes([4, 0, 0x0f]) + frame(bytes(range(200))))
    put("fuzz_frame", "too_large", bytes([1, 7, 0]) + struct.pack(">I", 65) + b"x" * 65)
    put("fuzz_frame", "max_header", bytes([255, 3, 0xaa]) + b"\xff\xff\xff\xff")
    put("fuzz_frame", "cut_in_header", bytes([255, 1, 0x33]) + frame(b"abc") + b"\x00\x00")
    put("fuzz_frame", "cut_in_payload", bytes([255, 2, 0x99]) + frame(b"abc") + struct.pack(">I", 9) + b"1234")


def request_seeds():
    tmp = tempfile.mkdtemp()
    subprocess.run(["protoc", "--python_out=" + tmp, "-I" + os.path.join(ROOT, "proto"),
                    os.path.join(ROOT, "proto", "fairmatch.proto")], check=True)
    sys.path.insert(0, tmp)
    import fairmatch_pb2 as pb

    def req(name, **kw):
        r = pb.Request(id=7, token="")
        for k, v in kw.items():
            getattr(r, k).CopyFrom(v)
        put("fuzz_request", name, r.SerializeToString())

    req("status", status=pb.StatusRequest())
    req("upsert_schools", upsert_schools=pb.UpsertSchoolsRequest(rows=[
        pb.School(school_ref="SCH0001", name="Eastholm Academy",
                  location=pb.LatLon(lat=52.44, lon=-1.43)),
        pb.School(school_ref="SCH0002", name="No location")]))
    req("upsert_students", upsert_students=pb.UpsertStudentsRequest(rows=[
        pb.Student(student_ref="S1", school_ref="SCH0001", birth_date="2011-09-13", lat=52.4,
                   lon=-1.4, max_travel_km=pb.OptDouble(value=35), low_income=True, gender="F",
                   sectors=["health", "sport"], weeks=["2027-W25", "2027-W26"],
                   wants_placement=pb.OptBool(value=True), wants_mentor=pb.OptBool(value=True)),
        pb.Student(student_ref="S2", school_ref="SCH0002", birth_date="2012-02-29", lat=52.5,
                   lon=-1.5, sectors=["it"])]))
    req("upsert_students_bad", upsert_students=pb.UpsertStudentsRequest(rows=[
        pb.Student(student_ref="S 1", school_ref="", birth_date="2011-02-30", lat=91,
                   lon=0, sectors=["a", "a", "b", "c", "d", "e"], weeks=["2027-W54"])]))
    req("upsert_placements", upsert_placements=pb.UpsertPlacementsRequest(rows=[
        pb.Placement(placement_ref="PL1", employer_ref="EMP1", title="Ward assistant",
                     sector="health", capacity=4, location=pb.LatLon(lat=52.4, lon=-1.5),
                     min_age=pb.OptInt32(value=15), week="2027-W26", reserve_pct=10),
        pb.Placement(placement_ref="PL2", employer_ref="EMP1", sector="it", capacity=1,
                     virtual=True)]))
    req("upsert_mentors", upsert_mentors=pb.UpsertMentorsRequest(rows=[
        pb.Mentor(mentor_ref="M1", organisation="Trust", sectors=["finance", "law"], capacity=2,
                  location=pb.LatLon(lat=52.6, lon=-1.6), dbs_valid_until="2028-05-18"),
        pb.Mentor(mentor_ref="M2", sectors=["it"], capacity=1, online=True,
                  max_travel_km=pb.OptDouble(value=5))]))
    for kind, k in (("students", 2), ("placements", 3), ("mentors", 4), ("schools", 1)):
        req("import_" + kind, import_csv=pb.ImportCsvRequest(
            kind=k, file_name=kind + ".csv", upload_id=0, offset=0,
            data=head(kind, 4).encode(), last=True))
    req("withdraw", withdraw=pb.WithdrawRequest(kind=2, refs=["S1", "S9"]))
    req("list", list=pb.ListRequest(kind=2, page_size=1, page_token="S1"))
    req("list_schools", list=pb.ListRequest(kind=1))
    req("run_round", run_round=pb.RunRoundRequest(
        date="2027-06-01", options=pb.RoundOptions(policy="fair-access-v1", time_limit_seconds=5)))
    req("rerun_round", rerun_round=pb.RerunRoundRequest(round_id=1, date="2027-02-29"))
    req("run_round_constraints", run_round=pb.RunRoundRequest(
        date="2027-06-01", options=pb.RoundOptions(constraints_json=(
            '{"school_floor_pct": 30, "employer_spread_max": 2, "gender_targets": [{"sector":'
            ' "it", "gender": "F", "min_pct": 40}], "mentors": {"stable_tiers": true}}'))))
    req("round_status", round_status=pb.RoundStatusRequest(round_id=1, known_phase=1, wait_ms=10))
    req("show_round", show_round=pb.ShowRoundRequest(round_id=1))
    req("list_rounds", list_rounds=pb.ListRoundsRequest())
    req("cancel_round", cancel_round=pb.CancelRoundRequest(round_id=1))
    req("list_assignments", list_assignments=pb.ListAssignmentsRequest())
    req("decide_assignment", decide_assignment=pb.DecideAssignmentRequest())
    put("fuzz_request", "garbage_id_first", b"\x08\x96\x01\xff\xff")
    put("fuzz_request", "truncated_length", b"\x08\x01\x12\x7fabc")
    put("fuzz_request", "empty", b"")


def file_seeds():
    put("fuzz_policy", "full", '{ "policy": "fair-access-v1", "time_limit_seconds": 600 }\n')
    put("fuzz_policy", "empty_object", "{}")
    put("fuzz_policy", "unknown_key", '{"policy": "fair-access-v1", "threads": 2}')
    put("fuzz_policy", "duplicate_key", '{"time_limit_seconds": 1, "time_limit_seconds": 2}')
    put("fuzz_policy", "negative", '{"time_limit_seconds": -1e308}')
    put("fuzz_policy", "not_object", '["policy"]')
    put("fuzz_policy", "truncated", '{"policy": "fair-acc')
    put("fuzz_policy", "constraints",
        '{ "policy": "fair-access-v1", "time_limit_seconds": 600, "school_floor_pct": 30,'
        ' "employer_spread_max": 2, "gender_targets": [{"sector": "engineering", "gender": "F",'
        ' "min_pct": 40}, {"sector": "it", "gender": "X", "min_pct": 0}], "stable_tiers": true,'
        ' "mentors": {"school_floor_pct": 20, "stable_tiers": true} }')
    put("fuzz_policy", "constraints_bad",
        '{"school_floor_pct": 101, "gender_targets": [{"sector": "", "gender": "Q"}],'
        ' "mentors": {"employer_spread_max": 1}}')
    put("fuzz_policy", "gender_targets_many",
        '{"gender_targets": [' + ", ".join('{"sector": "s%d", "gender": "M", "min_pct": %d}'
                                          % (i, i) for i in range(18)) + "]}")
    put("fuzz_config", "full",
        "# fairmatchd\nlisten = 127.0.0.1:7433\ndb = /var/lib/fairmatch/fm.db\n"
        "max_frame_bytes = 16777216\nidle_timeout_s = 300\nwrite_queue_limit_bytes = 33554432\n"
        "max_connections = 256\nmax_inflight = 64\nmax_rounds = 2\nmax_round_seconds = 0\n"
        "max_upload_bytes = 268435456\nshutdown_grace_s = 30\nlog_level = info\n")
    put("fuzz_config", "v6_listen", "listen = [::1]:0\r\n\n   # comment\n")
    put("fuzz_config", "unknown_key", "colour = blue\n")
    put("fuzz_config", "no_equals", "listen\n")
    put("fuzz_config", "out_of_range", "max_frame_bytes = 1024\n")
    put("fuzz_config", "bad_listen", "listen = nohost\n")
    put("fuzz_config", "long_line", "db = " + "x" * 9000 + "\n")
    put("fuzz_config", "sections",
        "[server]\nlisten = [::1]:7433 ; inline comment\nmax_inflight = 8\n\n[store]\n"
        "db = /tmp/fm.db\n[rounds]\nmax_rounds = 4\nmax_round_seconds = 1.5\n"
        "[log]\nlog_level = debug\n")
    put("fuzz_config", "wrong_section", "[store]\nlisten = 127.0.0.1:1\n")
    put("fuzz_config", "unknown_section", "[colours]\nred = 1\n")
    put("fuzz_config", "bad_section_line", "[server\nlisten = 127.0.0.1:1\n")


if __name__ == "__main__":
    csv_seeds()
    frame_seeds()
    request_seeds()
    file_seeds()
