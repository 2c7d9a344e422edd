"""The loader accepts the shipped mapping files and rejects bad ones with a readable error."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from qbo_sync.mapping import ENV_VAR, MappingConfigError, default_mappings_dir, load_mapping, load_mappings

SHIPPED = Path(__file__).resolve().parents[2] / "include" / "mappings"

CUSTOMERS: dict[str, Any] = {
    "entity": "customers",
    "cmms_table": "customers",
    "qbo_entity": "Customer",
    "label": "Customer",
    "title_column": "display_name",
    "direction": "both",
    "natural_key": {"cmms": "display_name", "qbo": "DisplayName"},
    "fields": [
        {"column": "display_name", "qbo": "DisplayName", "owner": "conflict"},
        {"column": "email", "qbo": "PrimaryEmailAddr.Address", "transform": "email"},
        {"column": "active", "qbo": "Active", "transform": "bool"},
    ],
}

ITEMS: dict[str, Any] = {
    "entity": "items",
    "cmms_table": "items",
    "qbo_entity": "Item",
    "label": "Item",
    "title_column": "name",
    "direction": "both",
    "fields": [{"column": "name", "qbo": "Name"}],
    "references": [{"column": "income_account_id", "qbo": "IncomeAccountRef", "table": "accounts"}],
}


def write(folder: Path, name: str, data: dict[str, Any] | str) -> Path:
    path = folder / name
    path.write_text(
        data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
    )
    return path


def load_error(folder: Path, name: str, data: dict[str, Any] | str) -> str:
    with pytest.raises(MappingConfigError) as info:
        load_mapping(write(folder, name, data))
    return str(info.value)


def customers(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(CUSTOMERS)
    data.update(changes)
    return data


def test_all_shipped_files_load() -> None:
    mappings = load_mappings(SHIPPED)
    assert set(mappings) == {
        *("accounts", "tax_codes", "tax_rates", "customers", "vendors", "items"),
        *("invoices", "bills", "expenses"),
    }
    assert {m.direction for k, m in mappings.items() if k in {"accounts", "tax_codes", "tax_rates"}} == {
        "pull"
    }
    assert {m.direction for k, m in mappings.items() if k in {"customers", "vendors", "items"}} == {"both"}
    # every field got a transform, and readonly_qbo columns became pull-only
    assert all(f.transform for m in mappings.values() for f in m.fields)
    balance = mappings["accounts"].by_column()["current_balance"]
    assert balance.pull_only is True
    assert mappings["customers"].by_column()["notes"].qbo == "Notes"
    assert [p.cmms for p in mappings["items"].natural_key] == ["name", "sku"]
    assert mappings["accounts"].natural_key == []


def test_default_folder_is_the_repo_include_mappings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    default = default_mappings_dir()
    assert default.parts[-2:] == ("include", "mappings")
    assert (default / "customers.yaml").is_file() and (default.parent.parent / "plugins").is_dir()
    write(tmp_path, "customers.yaml", CUSTOMERS)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert list(load_mappings()) == ["customers"]


def test_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(MappingConfigError, match="folder not found"):
        load_mappings(tmp_path / "nope")
    with pytest.raises(MappingConfigError, match=r"no \*\.yaml mapping files"):
        load_mappings(tmp_path)


def test_reference_to_unknown_column(tmp_path: Path) -> None:
    data = copy.deepcopy(ITEMS)
    data["references"][0]["column"] = "income_acct"
    assert load_error(tmp_path, "items.yaml", data) == (
        "mapping `items.yaml`: field `IncomeAccountRef` refers to unknown column `income_acct`"
    )


def test_field_to_unknown_column(tmp_path: Path) -> None:
    data = customers()
    data["fields"][1]["column"] = "e_mail"
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: field `PrimaryEmailAddr.Address` refers to unknown column `e_mail`"
    )


def test_unknown_transform(tmp_path: Path) -> None:
    data = customers()
    data["fields"][2]["transform"] = "boolean"
    message = load_error(tmp_path, "customers.yaml", data)
    assert message.startswith(
        "mapping `customers.yaml`: field `Active` uses unknown transform `boolean` (known: "
    )
    assert "bool, " in message and "money" in message


def test_transform_of_the_wrong_kind(tmp_path: Path) -> None:
    data = customers()
    data["fields"][2]["transform"] = "money"
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: field `Active` uses transform `money` for column `active`, "
        "which holds bool values"
    )


def test_unknown_owner(tmp_path: Path) -> None:
    data = customers()
    data["fields"][0]["owner"] = "qbbo"
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: field `DisplayName`: `owner` must be one of 'qbo', 'cmms' or 'conflict' "
        "(got `qbbo`)"
    )


def test_unknown_direction(tmp_path: Path) -> None:
    assert load_error(tmp_path, "customers.yaml", customers(direction="sideways")) == (
        "mapping `customers.yaml`: `direction` must be one of 'pull', 'push' or 'both' (got `sideways`)"
    )


def test_unknown_key_and_missing_key(tmp_path: Path) -> None:
    data = customers()
    data["fields"][1]["trasform"] = "email"
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: field `PrimaryEmailAddr.Address`: unknown key `trasform`"
    )
    data = customers()
    del data["qbo_entity"]
    assert (
        load_error(tmp_path, "customers.yaml", data) == "mapping `customers.yaml`: `qbo_entity` is required"
    )


def test_malformed_qbo_path(tmp_path: Path) -> None:
    data = customers()
    data["fields"][1]["qbo"] = "PrimaryEmailAddr..Address"
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: field `PrimaryEmailAddr..Address` is not a dotted QuickBooks path "
        "(like `BillAddr.Line1`)"
    )


def test_unknown_table_and_wrong_entity_name(tmp_path: Path) -> None:
    message = load_error(tmp_path, "customers.yaml", customers(cmms_table="custmers"))
    assert message.startswith(
        "mapping `customers.yaml`: unknown CMMS table `custmers` (synced tables: accounts,"
    )
    assert load_error(tmp_path, "clients.yaml", customers()) == (
        "mapping `clients.yaml`: entity `customers` does not match the file name (expected `clients`)"
    )


def test_reference_to_the_wrong_or_unsynced_table(tmp_path: Path) -> None:
    data = copy.deepcopy(ITEMS)
    data["references"][0]["table"] = "vendors"
    assert load_error(tmp_path, "items.yaml", data) == (
        "mapping `items.yaml`: field `IncomeAccountRef`: "
        "column `income_account_id` is not a reference to `vendors`"
    )
    data["references"][0]["table"] = "work_orders"
    assert load_error(tmp_path, "items.yaml", data) == (
        "mapping `items.yaml`: field `IncomeAccountRef` refers to table `work_orders`, "
        "which is not synced with QuickBooks"
    )


def test_reference_column_mapped_as_a_plain_field(tmp_path: Path) -> None:
    data = copy.deepcopy(ITEMS)
    data["fields"].append({"column": "expense_account_id", "qbo": "ExpenseAccountRef.value"})
    assert load_error(tmp_path, "items.yaml", data) == (
        "mapping `items.yaml`: field `ExpenseAccountRef.value` maps reference column `expense_account_id`; "
        "list it under `references`"
    )


def test_managed_column_cannot_be_mapped(tmp_path: Path) -> None:
    data = customers()
    data["fields"].append({"column": "qb_sync_token", "qbo": "SyncToken"})
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: field `SyncToken` maps `qb_sync_token`, "
        "which the sync engine manages itself"
    )


def test_duplicates_and_clashing_paths(tmp_path: Path) -> None:
    data = customers()
    data["fields"].append({"column": "email", "qbo": "PrimaryEmailAddr"})
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: column `email` is mapped twice; "
        "QuickBooks path `PrimaryEmailAddr.Address` clashes with `PrimaryEmailAddr`"
    )


def test_contradicting_directions(tmp_path: Path) -> None:
    data = customers()
    data["fields"][1].update(pull_only=True, push_only=True)
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: field `PrimaryEmailAddr.Address` cannot be both pull_only and push_only"
    )
    data = customers(direction="pull")
    data["fields"][1]["push_only"] = True
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: field `PrimaryEmailAddr.Address` is push_only, but the mapping only pulls"
    )


def test_conditions_readonly_and_validators_are_checked(tmp_path: Path) -> None:
    data = customers(readonly_qbo=["balance"])
    data["fields"][1]["push_when"] = {"kind": "x"}
    data["fields"][0]["validators"] = ["shout"]
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: "
        "field `DisplayName` uses unknown validator `shout` (known: email, qbo_name); "
        "field `PrimaryEmailAddr.Address`: `push_when` refers to unknown column `kind`; "
        "`readonly_qbo` names `balance`, which is not a mapped column"
    )


def test_invalid_yaml_and_wrong_top_level(tmp_path: Path) -> None:
    assert load_error(tmp_path, "customers.yaml", "entity: [customers\n") == (
        "mapping `customers.yaml`: is not valid YAML at line 2"
    )
    assert load_error(tmp_path, "customers.yaml", "- just a list\n") == (
        "mapping `customers.yaml`: must be a YAML mapping of keys (entity, cmms_table, ...)"
    )


def test_duplicate_key_and_entry_of_the_wrong_shape(tmp_path: Path) -> None:
    text = yaml.safe_dump(CUSTOMERS, sort_keys=False).replace(
        "direction: both\n", "direction: both\ndirection: pull\n"
    )
    assert load_error(tmp_path, "customers.yaml", text) == (
        "mapping `customers.yaml`: key `direction` appears twice (line 7)"
    )
    data = customers()
    data["fields"].append("Notes")
    assert load_error(tmp_path, "customers.yaml", data) == (
        "mapping `customers.yaml`: fields[3]: input should be a valid dictionary or instance of FieldMap"
    )


def test_reference_to_a_table_without_mapping_in_the_folder(tmp_path: Path) -> None:
    write(tmp_path, "items.yaml", ITEMS)
    with pytest.raises(MappingConfigError) as info:
        load_mappings(tmp_path)
    assert str(info.value) == (
        "mapping `items.yaml`: field `IncomeAccountRef` refers to table `accounts`, "
        "but no mapping in the folder syncs it"
    )
    write(tmp_path, "accounts.yaml", (SHIPPED / "accounts.yaml").read_text(encoding="utf-8"))
    assert sorted(load_mappings(tmp_path)) == ["accounts", "items"]


@pytest.mark.parametrize(
    ("owners", "found"),
    [(["cmms", "qbo"], "cmms, qbo"), (["conflict", "conflict"], "conflict")],
)
def test_a_nested_object_has_one_owner(tmp_path: Path, owners: list[str], found: str) -> None:
    data = customers(default_owner="cmms")
    data["fields"] += [
        {"column": "bill_line1", "qbo": "BillAddr.Line1", "owner": owners[0]},
        {"column": "bill_city", "qbo": "BillAddr.City", "owner": owners[1]},
    ]
    assert load_error(tmp_path, "customers.yaml", data) == (
        f"mapping `customers.yaml`: fields under `BillAddr` must share one owner other than `conflict` "
        f"(found {found}); QuickBooks receives `BillAddr` whole"
    )
