"""A changed Nhanh parent of a product the App holds is built without a children read
(issue 21, NH-08): the App's variants stand in for the unchanged children; a single product
(its own only variant) is the parent row alone, exactly."""
from __future__ import annotations

from decimal import Decimal

from contract.records import Product, Variant, fingerprint
from connectors.nhanh import mapping

PARENT = {"id": "501", "parentId": -1, "name": "Áo thun mới", "code": "AT", "categoryId": "7",
          "prices": {"retail": 150000}, "status": 2, "updatedAt": 1796593803}


def test_nh08_parent_with_children_takes_the_app_variants():
    known = Product(key="501", name="Áo thun", option_names=("Màu",),
                    variants=(Variant(key="502", sku="AT-D", price=Decimal(150000),
                                      options=("Đỏ",)),
                              Variant(key="503", sku="AT-X", price=Decimal(150000),
                                      options=("Xanh",))))
    built = mapping.product_beside_known(PARENT, known)
    assert built.name == "Áo thun mới" and built.category_keys == ("7",)
    assert built.variants == known.variants and built.option_names == ("Màu",)


def test_nh08_single_product_is_the_parent_row_alone():
    known = Product(key="501", name="Áo thun", variants=(Variant(key="501", sku="AT",
                                                                 price=Decimal(99000)),))
    built = mapping.product_beside_known(PARENT, known)
    assert fingerprint(built) == fingerprint(mapping.product(PARENT))
    assert built.variants[0].price == Decimal(150000)
