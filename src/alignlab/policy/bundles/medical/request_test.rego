package alignlab.request_test

import rego.v1

routine_features := {"length": 30, "lower": "what are the symptoms of flu?", "toxicity": 0.01, "pii": [], "topics": {"health": 0.8}}

msgs := [{"role": "user", "content": "What are the symptoms of flu?"}]

test_health_question_allowed if {
	d := data.alignlab.request.decision with input.text as "x" with input.features as object.union(routine_features, {}) with input.messages as msgs
	d.action == "allow"
}

test_out_of_scope_denied if {
	d := data.alignlab.request.decision with input.text as "x" with input.features as object.union(routine_features, {"lower": "write me a poem about cars", "topics": {"health": 0.05}}) with input.messages as msgs
	d.action == "deny"
	"I can only help with health and medical questions" in d.reasons
}

test_emergency_escalated_even_if_out_of_scope if {
	d := data.alignlab.request.decision with input.text as "x" with input.features as object.union(routine_features, {"lower": "my dad has chest pain", "topics": {"health": 0.1}}) with input.messages as msgs
	d.action == "escalate"
}

test_dose_question_escalated if {
	d := data.alignlab.request.decision with input.text as "x" with input.features as object.union(routine_features, {"lower": "how many mg of ibuprofen can i take"}) with input.messages as msgs
	d.action == "escalate"
}
