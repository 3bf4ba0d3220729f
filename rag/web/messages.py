"""User-facing Chinese messages shared by the chat and the JSON API."""

STORE_DOWN = "知识库服务暂时无法连接（向量数据库未启动或网络不通），请稍后再试，或联系管理员。"
INTERNAL = "处理问题时发生内部错误，请稍后再试。如果问题持续出现，请联系管理员。"
BAD_REQUEST = "请求格式不正确"
BAD_JSON = "请求内容不是有效的 JSON。"
TOO_LARGE = "请求内容过大（上限 {limit} 字节）。"
UNKNOWN_DOCS = "没有找到这些报告：{ids}。可通过 /api/docs 查看已收录的报告。"
NOT_FOUND = "没有这个接口。"
