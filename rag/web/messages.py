"""User-facing Chinese messages shared by the chat and the JSON API."""

STORE_DOWN = "知识库服务暂时无法连接（向量数据库未启动或网络不通），请稍后再试，或联系管理员。"
INTERNAL = "处理问题时发生内部错误，请稍后再试。如果问题持续出现，请联系管理员。"
BAD_REQUEST = "请求格式不正确"
BAD_JSON = "请求内容不是有效的 JSON。"
TOO_LARGE = "请求内容过大（上限 {limit} 字节）。"
UNKNOWN_DOCS = "没有找到这些报告：{ids}。可通过 /api/docs 查看已收录的报告。"
NOT_FOUND = "没有这个接口。"
BAD_METHOD = "这个接口不支持该请求方法（提问请用 POST /api/ask）。"
TEXT_ONLY = "只能发送文字问题，不接受文件或其他内容。"
RATE_LIMITED = "提问过于频繁，请 {seconds} 秒后再试。"
NEED_KEY = "需要有效的访问密钥（API key）。请在请求头中加入 Authorization: Bearer <密钥>，或联系管理员。"
NEED_ADMIN = "需要管理员令牌（RAG_ADMIN_TOKEN）才能执行此操作。"
ADMIN_OFF = "管理功能未开启：服务器未设置 RAG_ADMIN_TOKEN。"
NEED_JSON = "请求内容类型必须是 application/json。"
INDEX_MISSING = "索引不存在或已被删除，请联系管理员重新建立索引（rag ingest）。"
INDEX_READ_ONLY = "索引目录不可写，知识库暂时无法使用，请联系管理员。"
DISK_FULL = "服务器磁盘空间不足，知识库暂时无法使用，请联系管理员。"


def store_error(exc: Exception) -> str:
    """The user-facing message for a store failure; details go to the log, not to the user."""
    from vectorstore.base import IndexMissing, StoreFull, StoreReadOnly

    if isinstance(exc, IndexMissing):
        return INDEX_MISSING
    if isinstance(exc, StoreReadOnly):
        return INDEX_READ_ONLY
    if isinstance(exc, StoreFull):
        return DISK_FULL
    return STORE_DOWN
PAGE_NOT_FOUND = "没有这份报告的原文页面（只有 PDF 报告可以查看原文页面）。"
