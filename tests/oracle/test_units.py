"""Pure pieces of the oracle: compact signatures, readable reverts, encoded calls."""

from eth_account import Account
from eth_keys import keys

from oracle.hub import RevertExplainer, compact_signature
from oracle.txmanager import decode_raw


def test_compact_signature_recovers_the_same_signer():
    account = Account.from_key(b"\x07" * 32)
    digest = b"\x42" * 32
    signature = Account._sign_hash(digest, account.key).signature
    r, vs = compact_signature("0x" + bytes(signature).hex())
    s = int.from_bytes(vs, "big") & ((1 << 255) - 1)
    v = int.from_bytes(vs, "big") >> 255
    recovered = keys.Signature(vrs=(v, int.from_bytes(r, "big"), s)).recover_public_key_from_msg_hash(digest)
    assert recovered.to_checksum_address() == account.address


class _Revert(Exception):
    def __init__(self, data):
        super().__init__("execution reverted")
        self.data = data


def test_custom_error_is_explained_with_its_arguments():
    explain = RevertExplainer("Hub")
    # NotPoolOracle(address caller, uint64 pool, address oracle)
    from eth_abi import encode
    from eth_utils import keccak

    selector = keccak(text="NotPoolOracle(address,uint64,address)")[:4]
    data = "0x" + (selector + encode(["address", "uint64", "address"], ["0x" + "11" * 20, 7, "0x" + "22" * 20])).hex()
    text = explain(_Revert(data))
    assert text.startswith("NotPoolOracle(caller=0x1111") and "pool=7" in text


def test_unknown_revert_data_is_shown_as_is():
    assert RevertExplainer("Hub")(_Revert("0xdeadbeef00")) == "execution reverted"


def test_a_kept_signed_transaction_decodes_back_to_its_call():
    account = Account.from_key(b"\x09" * 32)
    signed = account.sign_transaction({"to": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB", "value": 5, "gas": 50_000, "maxFeePerGas": 10,
                                       "maxPriorityFeePerGas": 1, "nonce": 3, "chainId": 1, "data": b"call"})
    decoded = decode_raw(signed.raw_transaction.hex())
    assert (decoded["data"], decoded["value"]) == (b"call", 5)
    assert decoded["to"].lower() == "0x" + "ab" * 20


def test_encoded_calls_match_web3s_own_encoding():
    """The oracle encodes its calls with eth_abi (web3's encoder is slow on the Hub's ABI): the
    bytes must be exactly those web3 would send."""
    from web3 import Web3

    from oracle.encoded import EncodedCall
    from oracle.hub import REQUEST_FIELDS, Finalization, hub_contract

    hub = hub_contract(Web3(), "0x" + "12" * 20)
    request = tuple(("0x" + "ab" * 20) if name in ("requester", "refundTo", "callback", "appOwner", "datasetOwner",
                                                    "poolOwner", "oracle") else
                    (b"\x07" * 32 if name == "paramsHash" else 3) for name in REQUEST_FIELDS)
    request = tuple(Web3.to_checksum_address(v) if isinstance(v, str) else v for v in request)
    item = Finalization(request=request, result_digest=b"\x01" * 32, callback_data=b"\x2a",
                        signatures=[(b"\x02" * 32, b"\x03" * 32)], dissents=[(b"\x04" * 32, b"\x05" * 32, (b"\x06" * 32, b"\x08" * 32))])
    for name, args in (("finalizeBatch", ([item.as_tuple()] * 2,)), ("claimBatch", ([request],)),
                       ("reportFailureBatch", ([(request, "no quorum")],)), ("taskStatus", (b"\x09" * 32,))):
        ours = "0x" + EncodedCall(hub, name, args).data.hex()
        assert ours == getattr(hub.functions, name)(*args)._encode_transaction_data(), name


def test_a_database_of_an_older_oracle_gets_the_new_columns_and_keeps_its_rows(tmp_path):
    import sqlite3

    from sqlmodel import Session

    from oracle.db import make_engine
    from oracle.models import TaskRecord

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the task table as an oracle before batched settlement made it
        old.execute("CREATE TABLE taskrecord (task_id VARCHAR PRIMARY KEY, state VARCHAR, request_json VARCHAR, "
                    "params VARCHAR, block_number INTEGER, block_hash VARCHAR, deadline INTEGER, trust INTEGER, "
                    "held BOOLEAN, job_uid VARCHAR, reason VARCHAR, result_json VARCHAR, created_at FLOAT, "
                    "updated_at FLOAT)")
        old.execute("INSERT INTO taskrecord VALUES ('0x01', 'DISPATCHED', '[]', '', 5, '0x02', 99, 1, 0, 'job', "
                    "NULL, NULL, 1.0, 1.0)")
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        task = session.get(TaskRecord, "0x01")
        assert (task.state, task.job_uid, task.sends, task.tx_purpose, task.split_since) == ("DISPATCHED", "job", 0, None, None)


def test_a_result_stored_under_the_grids_former_field_names_is_renamed_in_place(tmp_path):
    import json

    from sqlmodel import Session

    from oracle.db import make_engine
    from oracle.models import TaskRecord

    url = f"sqlite:///{tmp_path / 'oracle.db'}"
    old = {"digest": "0x" + "d1" * 32, "callback_data": "0x", "signatures": [],
           "dissents": [{"worker": "0x" + "11" * 20, "digest": "0x" + "e1" * 32, "callback_data_hash": "0x", "signature": "0x"}]}
    with Session(make_engine(url)) as session:
        session.add(TaskRecord(task_id="0x01", state="COMPLETED", request_json="[]", params="", block_number=5,
                               block_hash="0x02", deadline=99, trust=1, result_json=json.dumps(old)))
        session.commit()
    with Session(make_engine(url)) as session:  # the oracle restarted after its upgrade
        result = json.loads(session.get(TaskRecord, "0x01").result_json)
    assert result["result_digest"] == "0x" + "d1" * 32 and "digest" not in result
    assert result["dissents"][0]["result_digest"] == "0x" + "e1" * 32 and "digest" not in result["dissents"][0]
