"""mtassist: one multi-task virtual-assistant model, trained, distilled, registered and served."""
