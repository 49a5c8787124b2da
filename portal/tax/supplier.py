"""The supplier as invoices name it: legal name, taxpayer number, address and the bank account
buyers pay to, from settings, in the reader's language where a Chinese form is set."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale


@dataclass(frozen=True)
class Supplier:
    legal_name: str
    taxpayer_id: str
    address: str
    phone: str
    bank_name: str
    bank_account: str
    bank_swift: str


def supplier() -> Supplier:
    """The supplier's details for the current reader (Chinese forms for a Chinese reader)."""
    config = current_app.config
    locale = get_locale()
    chinese = locale is not None and locale.language == "zh"

    def setting(name: str) -> str:
        return (chinese and config.get(f"{name}_ZH")) or config[name]

    return Supplier(
        legal_name=setting("SUPPLIER_LEGAL_NAME"),
        taxpayer_id=config["SUPPLIER_TAXPAYER_ID"],
        address=setting("SUPPLIER_ADDRESS"),
        phone=config["SUPPLIER_PHONE"],
        bank_name=setting("SUPPLIER_BANK_NAME"),
        bank_account=config["SUPPLIER_BANK_ACCOUNT"],
        bank_swift=config["SUPPLIER_BANK_SWIFT"],
    )
