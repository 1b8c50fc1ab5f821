"""Every sentence the engine puts in a result row, in Vietnamese and English.

Kept in one table so support staff and translators see them together; each says what happened
and, when the user has something to do, what.
"""
from __future__ import annotations

from contract.records import ORDER_STATUS_VI, OrderStatus

_TEXTS: dict[str, tuple[str, str]] = {
    "created_app": ("Đã tạo trong App.", "Created in the App."),
    "updated_app": ("Đã cập nhật trong App.", "Updated in the App."),
    "linked_app": ("Đã nối với bản ghi sẵn có trong App ({how}), không tạo trùng.",
                   "Linked to the existing App record ({how}); no duplicate created."),
    "linked_differs": ("Đã nối với bản ghi sẵn có trong App ({how}), nhưng hai bên khác nhau "
                       "({fields}). Không ghi đè bên nào: hãy chọn giữ App, giữ POS hoặc bỏ qua "
                       "(lệnh shopsync resolve, hoặc bảng Xung đột trong cửa sổ).",
                       "Linked to the existing App record ({how}), but the two differ "
                       "({fields}). Nothing was overwritten: choose keep App, keep POS or skip "
                       "(shopsync resolve, or the Conflicts table in the window)."),
    "linked_made_from": ("Bản ghi này trên POS do ShopSync tạo từ bản ghi App này nhưng chưa "
                         "được nối (mất câu trả lời hoặc lần chạy bị dừng): nay đã nối, không "
                         "tạo trùng.",
                         "ShopSync had created this POS record from this App record, but the "
                         "link was not saved (answer lost or run stopped): linked now, no "
                         "duplicate created."),
    "twin_in_app": ("Không đẩy: trên POS, bản ghi trùng mã/SĐT/email với mục này đã được nối "
                    "với {other} trong App. Hai mục trong App là một: hãy gộp hoặc sửa mã "
                    "của một mục.",
                    "Not pushed: the POS record with the same code/phone/email is already "
                    "linked to {other} in the App. The two App records are one thing: merge "
                    "them or change the code of one."),
    "unchanged": ("Không có thay đổi.", "No change."),
    "would_create_app": ("Sẽ tạo trong App.", "Would be created in the App."),
    "deleted_in_app": ("Bản ghi này đã bị xoá trong App nên không tạo lại.",
                       "This record was deleted in the App, so it is not created again."),
    "create_only": ("Bỏ qua: chỉ đồng bộ lần đầu ({rule}); thay đổi sau đó không được lấy.",
                    "Skipped: create-only ({rule}); later changes are not taken."),
    "create_only_delete": ("Bỏ qua: chỉ đồng bộ lần đầu ({rule}); việc xoá trên POS không ảnh "
                           "hưởng App.",
                           "Skipped: create-only ({rule}); a delete on the POS does not touch "
                           "the App."),
    "conflict": ("Xung đột: bản ghi đã sửa ở cả App và POS từ lần đồng bộ trước. Không ghi đè "
                 "bên nào; hãy chọn giữ App, giữ POS hoặc bỏ qua trong bảng Xung đột "
                 "(hoặc lệnh shopsync resolve).",
                 "Conflict: changed in both the App and the POS since the last sync. Nothing "
                 "was overwritten; choose keep App, keep POS or skip in the Conflicts table "
                 "(or shopsync resolve)."),
    "conflict_open": ("Đang có xung đột chưa xử lý; hãy xử lý trong bảng Xung đột "
                      "(hoặc lệnh shopsync resolve).",
                      "An open conflict waits for you in the Conflicts table (or shopsync "
                      "resolve)."),
    "locked_edit": ("Đơn đã đồng bộ lên POS không được sửa hay huỷ trong App ({rule}); thay "
                    "đổi này không được gửi. Hãy xử lý trong bảng Xung đột (hoặc lệnh "
                    "shopsync resolve).",
                    "An order already on the POS must not be edited or cancelled in the App "
                    "({rule}); this change was not sent. Resolve it in the Conflicts table (or "
                    "shopsync resolve)."),
    "deleted_on_pos": ("Đã bị xoá trên POS — hãy tự xoá trong App nếu muốn (nút Xoá trong App).",
                       "Deleted on the POS — delete it in the App yourself if you want "
                       "(Delete in App button)."),
    "deleted_in_app_by_user": ("Đã xoá trong App theo yêu cầu.", "Deleted in the App as asked."),
    "created_pos": ("Đã tạo trên POS.", "Created on the POS."),
    "would_create_pos": ("Sẽ tạo trên POS.", "Would be created on the POS."),
    "updated_pos": ("Đã cập nhật lên POS.", "Updated on the POS."),
    "linked_pos": ("Đã có trên POS (cùng mã/SĐT/email) — đã nối, không tạo trùng.",
                   "Already on the POS (same code/phone/email) — linked, not created again."),
    "found_after_crash": ("Lần chạy trước bị gián đoạn sau khi gửi; đã tìm thấy trên POS và nối, "
                          "không tạo lại.",
                          "The previous run stopped after sending; found it on the POS and "
                          "linked it instead of creating it again."),
    "status_pushed": ("Đã gửi trạng thái \"{status_vi}\" lên POS.",
                      "Sent status \"{status}\" to the POS."),
    "status_manual": ("POS không nhận thay đổi này qua API ({rule}): hãy tự chuyển đơn sang "
                      "\"{status_vi}\" trên POS.",
                      "The POS does not take this change through its API ({rule}): set the "
                      "order to \"{status}\" on the POS yourself."),
    "status_ignored": ("Trạng thái \"{status_vi}\" không được gửi lên POS ({rule}).",
                       "Status \"{status}\" is not sent to the POS ({rule})."),
    "app_deleted_manual": ("Đã xoá trong App nhưng vẫn còn trên POS, và POS không cho xoá qua "
                           "API ({rule}): hãy tự huỷ hoặc xoá trên POS.",
                           "Deleted in the App but still on the POS, which cannot delete it "
                           "through its API ({rule}): cancel or delete it on the POS yourself."),
    "edit_manual": ("Thay đổi này không gửi được lên POS ({rule}): hãy sửa trên POS.",
                    "This change cannot be sent to the POS ({rule}): edit it on the POS."),
    "status_not_pushed": ("Chưa gửi: chỉ đơn ở trạng thái {allowed} được gửi lên POS ({rule}).",
                          "Not sent yet: only orders in status {allowed} are pushed ({rule})."),
    "product_not_on_pos": ("Chưa gửi được: sản phẩm {refs} của đơn chưa có trên POS. Hãy đồng bộ "
                           "hoặc đẩy sản phẩm đó lên POS trước.",
                           "Cannot send yet: product {refs} of this order is not on the POS. "
                           "Sync or push that product first."),
    "push_not_offered": ("POS này không nhận {entity} từ App ({rule}).",
                         "This POS does not take {entity} from the App ({rule})."),
    "already_on_pos": ("Đã có trên POS, không đẩy lại.", "Already on the POS; not pushed again."),
    "not_in_app": ("Không tìm thấy trong App.", "Not found in the App."),
    "not_new_from_app": ("Không phải sản phẩm tạo trong App nên không đẩy.",
                         "Not a product created in the App, so it is not pushed."),
    "entity_off": ("Không đồng bộ: tuỳ chọn \"{option}\" đang tắt.",
                   "Not synced: option \"{option}\" is off."),
    "entity_none": ("Nền tảng này không đồng bộ mục này ({rule}).",
                    "This platform does not sync this ({rule})."),
    "resolved_app": ("Đã giữ bản App.", "Kept the App version."),
    "resolved_pos": ("Đã giữ bản POS.", "Kept the POS version."),
    "resolved_skip": ("Đã bỏ qua xung đột; lần sau chỉ thay đổi mới được đồng bộ.",
                      "Conflict skipped; only new changes sync from now on."),
    "resolved_app_not_pushed": ("Giữ bản App trong App; POS không nhận thay đổi này ({rule}) "
                                "nên bản POS giữ nguyên.",
                                "The App keeps its version; the POS does not take this change "
                                "({rule}), so the POS keeps its own."),
    # Run-level
    "run_done": ("Đồng bộ xong.", "Sync finished."),
    "run_done_failed": ("Đồng bộ xong, có {failed} mục lỗi: xem bảng Kết quả (hoặc lệnh shopsync "
                        "results), có thể chạy lại riêng các mục lỗi (shopsync retry).",
                        "Sync finished with {failed} failed items: see Results (or shopsync "
                        "results); you can retry only the failed items (shopsync retry)."),
    "run_cancelled": ("Đã dừng theo yêu cầu. Lần chạy sau sẽ tiếp tục từ chỗ đã dừng.",
                      "Stopped as asked. The next run continues where this one stopped."),
    "run_interrupted": ("Bị gián đoạn: {detail} Lần chạy sau sẽ tiếp tục từ chỗ đã dừng, "
                        "không mất và không trùng dữ liệu.",
                        "Interrupted: {detail} The next run continues where this one stopped, "
                        "with nothing lost or duplicated."),
    "run_failed": ("Dừng đồng bộ: {detail}", "Sync stopped: {detail}"),
    "run_bug": ("Lỗi không mong đợi; hãy gửi gói chẩn đoán cho bộ phận hỗ trợ.",
                "Unexpected error; send the diagnostics bundle to support."),
}


def say(key: str, **values: object) -> tuple[str, str]:
    """(vi, en) text of `key`, filled with `values`; a status fills both spellings."""
    vi, en = _TEXTS[key]
    status = values.get("status")
    if isinstance(status, OrderStatus):
        values = {**values, "status": status.value, "status_vi": ORDER_STATUS_VI[status]}
    return vi.format(**values), en.format(**values)
