"""👍/👎 votes on answers, stored beside the index, exported as candidate gold questions."""
