package io.infrablocks.lb.internal;

/** Builds the {@link Picker} of a membership snapshot; one factory per balancer (it owns any cursor). */
@FunctionalInterface
interface PickerFactory {

    /**
     * Builds the picker over these members (in membership order, never modified afterwards).
     *
     * @param members the members
     * @return the picker
     */
    Picker create(Member[] members);
}
