package alignlab.response_test

import rego.v1

plain := {"length": 30, "lower": "rest and drink fluids.", "toxicity": 0.01, "pii": [], "topics": {"health": 0.6}}

emergency_features := object.union(plain, {"lower": "my father has chest pain and is sweating"})

msgs := [{"role": "user", "content": "x"}]

test_routine_answer_allowed if {
	d := data.alignlab.response.decision with input.text as "x" with input.features as plain with input.request_features as plain with input.messages as msgs
	d.action == "allow"
}

test_missed_referral_rewritten_with_notice if {
	d := data.alignlab.response.decision with input.text as "x" with input.features as plain with input.request_features as object.union(emergency_features, {}) with input.messages as msgs
	d.action == "rewrite"
	d.notice == data.emergency_notice
}

test_referral_given_allowed if {
	d := data.alignlab.response.decision with input.text as "x" with input.features as object.union(plain, {"lower": "call 911 now"}) with input.request_features as object.union(emergency_features, {}) with input.messages as msgs
	d.action == "allow"
}

test_false_certainty_gets_disclaimer if {
	d := data.alignlab.response.decision with input.text as "x" with input.features as object.union(plain, {"lower": "you definitely have migraine"}) with input.request_features as plain with input.messages as msgs
	d.action == "rewrite"
	d.notice == data.disclaimer_notice
}
