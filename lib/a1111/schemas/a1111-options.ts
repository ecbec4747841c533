/**
 * Every setting a default AUTOMATIC1111 v1.10.1 install registers (commit 82a973c04367123ae98bd9abdf80d9eda9b910e2),
 * as data: one row per key, in registration order. `lib/a1111/schemas/options.ts` builds the validators from it.
 *
 * Read from A1111's source at that commit:
 * - modules/shared_options.py: every `options_templates.update(options_section(...))` block;
 * - modules/processing_scripts/comments.py: `enable_prompt_comments` (added when the module is imported);
 * - extensions-builtin/Lora/scripts/lora_script.py: `options_templates.update` (Extra Networks, Compatibility);
 * - extensions-builtin/canvas-zoom-and-pan/scripts/hotkey_config.py: `options_templates.update` (Canvas Hotkeys);
 * - extensions-builtin/extra-options-section/scripts/extra_options_section.py: `options_templates.update`;
 * - extensions-builtin/hypertile/scripts/hypertile_script.py, LDSR/scripts/ldsr_model.py, ScuNET/scripts/scunet_model.py,
 *   SwinIR/scripts/swinir_model.py: `shared.opts.add_option` in their `on_ui_settings` callbacks;
 * - modules/options.py (`OptionInfo`, `OptionHTML`, `Options.__init__`/`add_option`), modules/ui_settings.py
 *   (`create_setting_component`), modules/api/api.py (`get_config`, `set_config`), modules/sd_emphasis.py (`options`),
 *   modules/util.py (`truncate_path`), modules/paths_internal.py and modules/cmd_args.py for the computed defaults.
 * The other built-in extensions (soft-inpainting, postprocessing-for-training, mobile, prompt-bracket-checker) and
 * the scripts/ folder register no settings; modules/shared_items.py's `callbacks_order_settings` is covered below.
 *
 * Columns:
 * - `kind`: the type of A1111's default (`Options.same_type` compares settings by it), with "color" for
 *   `FormColorPicker` settings, "nullable-str" for the two whose default is `None`, "str-list" for list defaults,
 *   and "float" for the one int default on a fractional slider (sd_webui_modal_lightbox_icon_opacity, step 0.01).
 * - `default`: the `OptionInfo` default as GET /sdapi/v1/options returns it (`None` → null). The output folders are
 *   `util.truncate_path(os.path.join(default_output_dir, …))`, relative to the webui folder a default install runs
 *   from; `enable_console_prompts` is `cmd_opts.enable_console_prompts`, whose argparse default is False.
 * - `min`/`max`: the `gr.Slider` bounds (static in every slider here); absent for every other component.
 * - `choices`: the fixed list of a `gr.Radio`, `gr.Dropdown` or `gr.CheckboxGroup`, including lambdas that return a
 *   constant list (auto_launch_browser, keyedit_delimiters_whitespace) and `emphasis`, whose lambda lists
 *   `sd_emphasis.options` (None, Ignore, Original, No norm). Absent where A1111 computes the list at run time
 *   (checkpoints, VAEs, upscalers, themes, samplers…) or the component allows custom values (DropdownEditable).
 * - `ui`: the component `OptionInfo` names, where it names one (otherwise A1111 picks Textbox, Number or Checkbox
 *   from the default's type).
 * - `restrictApi`: `OptionInfo(..., restrict_api=True)`: `opts.set(..., is_api=True)` ignores these.
 *
 * Not rows: `OptionHTML` entries (A1111_UNSTORED_OPTIONS: `do_not_save`, so never in `opts.data`, which is what
 * `get_config` returns) and the `prioritized_callbacks_*` settings that modules/ui_settings.py adds to
 * `data_labels` only when the settings page is built, one per callback category the loaded scripts use.
 */

export type A1111OptionKind = "bool" | "int" | "float" | "str" | "nullable-str" | "color" | "str-list";

export type A1111OptionUi =
  | "slider"
  | "number"
  | "radio"
  | "dropdown"
  | "checkboxgroup"
  | "multiselect"
  | "editable-dropdown"
  | "colorpicker"
  | "textbox"
  | "checkbox";

export interface A1111OptionSpec {
  readonly kind: A1111OptionKind;
  readonly default: boolean | number | string | null | readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  readonly ui?: A1111OptionUi;
  readonly restrictApi?: true;
}

export const A1111_OPTIONS = {
  // modules/shared_options.py: section saving-images "Saving images/grids"
  samples_save: { kind: "bool", default: true },
  samples_format: { kind: "str", default: "png" },
  samples_filename_pattern: { kind: "str", default: "" },
  save_images_add_number: { kind: "bool", default: true },
  save_images_replace_action: { kind: "str", default: "Replace", choices: ["Replace", "Add number suffix"], ui: "radio" },
  grid_save: { kind: "bool", default: true },
  grid_format: { kind: "str", default: "png" },
  grid_extended_filename: { kind: "bool", default: false },
  grid_only_if_multiple: { kind: "bool", default: true },
  grid_prevent_empty_spots: { kind: "bool", default: false },
  grid_zip_filename_pattern: { kind: "str", default: "" },
  n_rows: { kind: "int", default: -1, min: -1, max: 16, ui: "slider" },
  font: { kind: "str", default: "" },
  grid_text_active_color: { kind: "color", default: "#000000", ui: "colorpicker" },
  grid_text_inactive_color: { kind: "color", default: "#999999", ui: "colorpicker" },
  grid_background_color: { kind: "color", default: "#ffffff", ui: "colorpicker" },
  save_images_before_face_restoration: { kind: "bool", default: false },
  save_images_before_highres_fix: { kind: "bool", default: false },
  save_images_before_color_correction: { kind: "bool", default: false },
  save_mask: { kind: "bool", default: false },
  save_mask_composite: { kind: "bool", default: false },
  jpeg_quality: { kind: "int", default: 80, min: 1, max: 100, ui: "slider" },
  webp_lossless: { kind: "bool", default: false },
  export_for_4chan: { kind: "bool", default: true },
  img_downscale_threshold: { kind: "float", default: 4, ui: "number" },
  target_side_length: { kind: "int", default: 4000, ui: "number" },
  img_max_size_mp: { kind: "int", default: 200, ui: "number" },
  use_original_name_batch: { kind: "bool", default: true },
  use_upscaler_name_as_suffix: { kind: "bool", default: false },
  save_selected_only: { kind: "bool", default: true },
  save_write_log_csv: { kind: "bool", default: true },
  save_init_img: { kind: "bool", default: false },
  temp_dir: { kind: "str", default: "" },
  clean_temp_dir_at_start: { kind: "bool", default: false },
  save_incomplete_images: { kind: "bool", default: false },
  notification_audio: { kind: "bool", default: true },
  notification_volume: { kind: "int", default: 100, min: 0, max: 100, ui: "slider" },
  // modules/shared_options.py: section saving-paths "Paths for saving"
  outdir_samples: { kind: "str", default: "" },
  outdir_txt2img_samples: { kind: "str", default: "outputs/txt2img-images" },
  outdir_img2img_samples: { kind: "str", default: "outputs/img2img-images" },
  outdir_extras_samples: { kind: "str", default: "outputs/extras-images" },
  outdir_grids: { kind: "str", default: "" },
  outdir_txt2img_grids: { kind: "str", default: "outputs/txt2img-grids" },
  outdir_img2img_grids: { kind: "str", default: "outputs/img2img-grids" },
  outdir_save: { kind: "str", default: "log/images" },
  outdir_init_images: { kind: "str", default: "outputs/init-images" },
  // modules/shared_options.py: section saving-to-dirs "Saving to a directory"
  save_to_dirs: { kind: "bool", default: true },
  grid_save_to_dirs: { kind: "bool", default: true },
  use_save_to_dirs_for_ui: { kind: "bool", default: false },
  directories_filename_pattern: { kind: "str", default: "[date]" },
  directories_max_prompt_words: { kind: "int", default: 8, min: 1, max: 20, ui: "slider" },
  // modules/shared_options.py: section upscaling "Upscaling"
  ESRGAN_tile: { kind: "int", default: 192, min: 0, max: 512, ui: "slider" },
  ESRGAN_tile_overlap: { kind: "int", default: 8, min: 0, max: 48, ui: "slider" },
  realesrgan_enabled_models: { kind: "str-list", default: ["R-ESRGAN 4x+", "R-ESRGAN 4x+ Anime6B"], ui: "checkboxgroup" },
  dat_enabled_models: { kind: "str-list", default: ["DAT x2", "DAT x3", "DAT x4"], ui: "checkboxgroup" },
  DAT_tile: { kind: "int", default: 192, min: 0, max: 512, ui: "slider" },
  DAT_tile_overlap: { kind: "int", default: 8, min: 0, max: 48, ui: "slider" },
  upscaler_for_img2img: { kind: "nullable-str", default: null, ui: "dropdown" },
  set_scale_by_when_changing_upscaler: { kind: "bool", default: false },
  // modules/shared_options.py: section face-restoration "Face restoration"
  face_restoration: { kind: "bool", default: false },
  face_restoration_model: { kind: "str", default: "CodeFormer", ui: "radio" },
  code_former_weight: { kind: "float", default: 0.5, min: 0, max: 1, ui: "slider" },
  face_restoration_unload: { kind: "bool", default: false },
  // modules/shared_options.py: section system "System"
  auto_launch_browser: { kind: "str", default: "Local", choices: ["Disable", "Local", "Remote"], ui: "radio" },
  enable_console_prompts: { kind: "bool", default: false },
  show_warnings: { kind: "bool", default: false },
  show_gradio_deprecation_warnings: { kind: "bool", default: true },
  memmon_poll_rate: { kind: "int", default: 8, min: 0, max: 40, ui: "slider" },
  samples_log_stdout: { kind: "bool", default: false },
  multiple_tqdm: { kind: "bool", default: true },
  enable_upscale_progressbar: { kind: "bool", default: true },
  print_hypernet_extra: { kind: "bool", default: false },
  list_hidden_files: { kind: "bool", default: true },
  disable_mmap_load_safetensors: { kind: "bool", default: false },
  hide_ldm_prints: { kind: "bool", default: true },
  dump_stacks_on_signal: { kind: "bool", default: false },
  // modules/shared_options.py: section profiler "Profiler"
  profiling_enable: { kind: "bool", default: false },
  profiling_activities: { kind: "str-list", default: ["CPU"], choices: ["CPU", "CUDA"], ui: "checkboxgroup" },
  profiling_record_shapes: { kind: "bool", default: true },
  profiling_profile_memory: { kind: "bool", default: true },
  profiling_with_stack: { kind: "bool", default: true },
  profiling_filename: { kind: "str", default: "trace.json" },
  // modules/shared_options.py: section API "API"
  api_enable_requests: { kind: "bool", default: true, restrictApi: true },
  api_forbid_local_requests: { kind: "bool", default: true, restrictApi: true },
  api_useragent: { kind: "str", default: "", restrictApi: true },
  // modules/shared_options.py: section training "Training"
  unload_models_when_training: { kind: "bool", default: false },
  pin_memory: { kind: "bool", default: false },
  save_optimizer_state: { kind: "bool", default: false },
  save_training_settings_to_txt: { kind: "bool", default: true },
  dataset_filename_word_regex: { kind: "str", default: "" },
  dataset_filename_join_string: { kind: "str", default: " " },
  training_image_repeats_per_epoch: { kind: "int", default: 1, ui: "number" },
  training_write_csv_every: { kind: "int", default: 500 },
  training_xattention_optimizations: { kind: "bool", default: false },
  training_enable_tensorboard: { kind: "bool", default: false },
  training_tensorboard_save_images: { kind: "bool", default: false },
  training_tensorboard_flush_every: { kind: "int", default: 120 },
  // modules/shared_options.py: section sd "Stable Diffusion"
  sd_model_checkpoint: { kind: "nullable-str", default: null, ui: "dropdown" },
  sd_checkpoints_limit: { kind: "int", default: 1, min: 1, max: 10, ui: "slider" },
  sd_checkpoints_keep_in_cpu: { kind: "bool", default: true },
  sd_checkpoint_cache: { kind: "int", default: 0, min: 0, max: 10, ui: "slider" },
  sd_unet: { kind: "str", default: "Automatic", ui: "dropdown" },
  enable_quantization: { kind: "bool", default: false },
  emphasis: { kind: "str", default: "Original", choices: ["None", "Ignore", "Original", "No norm"], ui: "radio" },
  enable_batch_seeds: { kind: "bool", default: true },
  comma_padding_backtrack: { kind: "int", default: 20, min: 0, max: 74, ui: "slider" },
  sdxl_clip_l_skip: { kind: "bool", default: false, ui: "checkbox" },
  CLIP_stop_at_last_layers: { kind: "int", default: 1, min: 1, max: 12, ui: "slider" },
  upcast_attn: { kind: "bool", default: false },
  randn_source: { kind: "str", default: "GPU", choices: ["GPU", "CPU", "NV"], ui: "radio" },
  tiling: { kind: "bool", default: false },
  hires_fix_refiner_pass: { kind: "str", default: "second pass", choices: ["first pass", "second pass", "both passes"], ui: "radio" },
  // modules/shared_options.py: section sdxl "Stable Diffusion XL"
  sdxl_crop_top: { kind: "int", default: 0 },
  sdxl_crop_left: { kind: "int", default: 0 },
  sdxl_refiner_low_aesthetic_score: { kind: "float", default: 2.5, ui: "number" },
  sdxl_refiner_high_aesthetic_score: { kind: "float", default: 6, ui: "number" },
  // modules/shared_options.py: section sd3 "Stable Diffusion 3"
  sd3_enable_t5: { kind: "bool", default: false },
  // modules/shared_options.py: section vae "VAE"
  sd_vae_checkpoint_cache: { kind: "int", default: 0, min: 0, max: 10, ui: "slider" },
  sd_vae: { kind: "str", default: "Automatic", ui: "dropdown" },
  sd_vae_overrides_per_model_preferences: { kind: "bool", default: true },
  auto_vae_precision_bfloat16: { kind: "bool", default: false },
  auto_vae_precision: { kind: "bool", default: true },
  sd_vae_encode_method: { kind: "str", default: "Full", choices: ["Full", "TAESD"], ui: "radio" },
  sd_vae_decode_method: { kind: "str", default: "Full", choices: ["Full", "TAESD"], ui: "radio" },
  // modules/shared_options.py: section img2img "img2img"
  inpainting_mask_weight: { kind: "float", default: 1, min: 0, max: 1, ui: "slider" },
  initial_noise_multiplier: { kind: "float", default: 1, min: 0, max: 1.5, ui: "slider" },
  img2img_extra_noise: { kind: "float", default: 0, min: 0, max: 1, ui: "slider" },
  img2img_color_correction: { kind: "bool", default: false },
  img2img_fix_steps: { kind: "bool", default: false },
  img2img_background_color: { kind: "color", default: "#ffffff", ui: "colorpicker" },
  img2img_editor_height: { kind: "int", default: 720, min: 80, max: 1600, ui: "slider" },
  img2img_sketch_default_brush_color: { kind: "color", default: "#ffffff", ui: "colorpicker" },
  img2img_inpaint_mask_brush_color: { kind: "color", default: "#ffffff", ui: "colorpicker" },
  img2img_inpaint_sketch_default_brush_color: { kind: "color", default: "#ffffff", ui: "colorpicker" },
  return_mask: { kind: "bool", default: false },
  return_mask_composite: { kind: "bool", default: false },
  img2img_batch_show_results_limit: { kind: "int", default: 32, min: -1, max: 1000, ui: "slider" },
  overlay_inpaint: { kind: "bool", default: true },
  // modules/shared_options.py: section optimizations "Optimizations"
  cross_attention_optimization: { kind: "str", default: "Automatic", ui: "dropdown" },
  s_min_uncond: { kind: "float", default: 0, min: 0, max: 15, ui: "slider" },
  s_min_uncond_all: { kind: "bool", default: false },
  token_merging_ratio: { kind: "float", default: 0, min: 0, max: 0.9, ui: "slider" },
  token_merging_ratio_img2img: { kind: "float", default: 0, min: 0, max: 0.9, ui: "slider" },
  token_merging_ratio_hr: { kind: "float", default: 0, min: 0, max: 0.9, ui: "slider" },
  pad_cond_uncond: { kind: "bool", default: false },
  pad_cond_uncond_v0: { kind: "bool", default: false },
  persistent_cond_cache: { kind: "bool", default: true },
  batch_cond_uncond: { kind: "bool", default: true },
  fp8_storage: { kind: "str", default: "Disable", choices: ["Disable", "Enable for SDXL", "Enable"], ui: "radio" },
  cache_fp16_weight: { kind: "bool", default: false },
  // modules/shared_options.py: section compatibility "Compatibility"
  auto_backcompat: { kind: "bool", default: true },
  use_old_emphasis_implementation: { kind: "bool", default: false },
  use_old_karras_scheduler_sigmas: { kind: "bool", default: false },
  no_dpmpp_sde_batch_determinism: { kind: "bool", default: false },
  use_old_hires_fix_width_height: { kind: "bool", default: false },
  hires_fix_use_firstpass_conds: { kind: "bool", default: false },
  use_old_scheduling: { kind: "bool", default: false },
  use_downcasted_alpha_bar: { kind: "bool", default: false },
  refiner_switch_by_sample_steps: { kind: "bool", default: false },
  // modules/shared_options.py: section interrogate "Interrogate"
  interrogate_keep_models_in_memory: { kind: "bool", default: false },
  interrogate_return_ranks: { kind: "bool", default: false },
  interrogate_clip_num_beams: { kind: "int", default: 1, min: 1, max: 16, ui: "slider" },
  interrogate_clip_min_length: { kind: "int", default: 24, min: 1, max: 128, ui: "slider" },
  interrogate_clip_max_length: { kind: "int", default: 48, min: 1, max: 256, ui: "slider" },
  interrogate_clip_dict_limit: { kind: "int", default: 1500 },
  interrogate_clip_skip_categories: { kind: "str-list", default: [], ui: "checkboxgroup" },
  interrogate_deepbooru_score_threshold: { kind: "float", default: 0.5, min: 0, max: 1, ui: "slider" },
  deepbooru_sort_alpha: { kind: "bool", default: true },
  deepbooru_use_spaces: { kind: "bool", default: true },
  deepbooru_escape: { kind: "bool", default: true },
  deepbooru_filter_tags: { kind: "str", default: "" },
  // modules/shared_options.py: section extra_networks "Extra Networks"
  extra_networks_show_hidden_directories: { kind: "bool", default: true },
  extra_networks_dir_button_function: { kind: "bool", default: false },
  extra_networks_hidden_models: { kind: "str", default: "When searched", choices: ["Always", "When searched", "Never"], ui: "radio" },
  extra_networks_default_multiplier: { kind: "float", default: 1, min: 0, max: 2, ui: "slider" },
  extra_networks_card_width: { kind: "int", default: 0 },
  extra_networks_card_height: { kind: "int", default: 0 },
  extra_networks_card_text_scale: { kind: "float", default: 1, min: 0, max: 2, ui: "slider" },
  extra_networks_card_show_desc: { kind: "bool", default: true },
  extra_networks_card_description_is_html: { kind: "bool", default: false },
  extra_networks_card_order_field: { kind: "str", default: "Path", choices: ["Path", "Name", "Date Created", "Date Modified"], ui: "dropdown" },
  extra_networks_card_order: { kind: "str", default: "Ascending", choices: ["Ascending", "Descending"], ui: "dropdown" },
  extra_networks_tree_view_style: { kind: "str", default: "Dirs", choices: ["Tree", "Dirs"], ui: "radio" },
  extra_networks_tree_view_default_enabled: { kind: "bool", default: true },
  extra_networks_tree_view_default_width: { kind: "int", default: 180, ui: "number" },
  extra_networks_add_text_separator: { kind: "str", default: " " },
  ui_extra_networks_tab_reorder: { kind: "str", default: "" },
  textual_inversion_print_at_load: { kind: "bool", default: false },
  textual_inversion_add_hashes_to_infotext: { kind: "bool", default: true },
  sd_hypernetwork: { kind: "str", default: "None", ui: "dropdown" },
  // modules/shared_options.py: section ui_prompt_editing "Prompt editing"
  keyedit_precision_attention: { kind: "float", default: 0.1, min: 0.01, max: 0.2, ui: "slider" },
  keyedit_precision_extra: { kind: "float", default: 0.05, min: 0.01, max: 0.2, ui: "slider" },
  keyedit_delimiters: { kind: "str", default: ".,\\/!?%^*;:{}=`~() " },
  keyedit_delimiters_whitespace: { kind: "str-list", default: ["Tab", "Carriage Return", "Line Feed"], choices: ["Tab", "Carriage Return", "Line Feed"], ui: "checkboxgroup" },
  keyedit_move: { kind: "bool", default: true },
  disable_token_counters: { kind: "bool", default: false },
  include_styles_into_token_counters: { kind: "bool", default: true },
  // modules/shared_options.py: section ui_gallery "Gallery"
  return_grid: { kind: "bool", default: true },
  do_not_show_images: { kind: "bool", default: false },
  js_modal_lightbox: { kind: "bool", default: true },
  js_modal_lightbox_initially_zoomed: { kind: "bool", default: true },
  js_modal_lightbox_gamepad: { kind: "bool", default: false },
  js_modal_lightbox_gamepad_repeat: { kind: "int", default: 250 },
  sd_webui_modal_lightbox_icon_opacity: { kind: "float", default: 1, min: 0, max: 1, ui: "slider" },
  sd_webui_modal_lightbox_toolbar_opacity: { kind: "float", default: 0.9, min: 0, max: 1, ui: "slider" },
  gallery_height: { kind: "str", default: "", ui: "textbox" },
  open_dir_button_choice: { kind: "str", default: "Subdirectory", choices: ["Output Root", "Subdirectory", "Subdirectory (even temp dir)"], ui: "radio" },
  // modules/shared_options.py: section ui_alternatives "UI alternatives"
  compact_prompt_box: { kind: "bool", default: false },
  samplers_in_dropdown: { kind: "bool", default: true },
  dimensions_and_batch_together: { kind: "bool", default: true },
  sd_checkpoint_dropdown_use_short: { kind: "bool", default: false },
  hires_fix_show_sampler: { kind: "bool", default: false },
  hires_fix_show_prompts: { kind: "bool", default: false },
  txt2img_settings_accordion: { kind: "bool", default: false },
  img2img_settings_accordion: { kind: "bool", default: false },
  interrupt_after_current: { kind: "bool", default: true },
  // modules/shared_options.py: section ui "User interface"
  localization: { kind: "str", default: "None", ui: "dropdown" },
  quicksettings_list: { kind: "str-list", default: ["sd_model_checkpoint"], ui: "multiselect" },
  ui_tab_order: { kind: "str-list", default: [], ui: "multiselect" },
  hidden_tabs: { kind: "str-list", default: [], ui: "multiselect" },
  ui_reorder_list: { kind: "str-list", default: [], ui: "multiselect" },
  gradio_theme: { kind: "str", default: "Default", ui: "editable-dropdown" },
  gradio_themes_cache: { kind: "bool", default: true },
  show_progress_in_title: { kind: "bool", default: true },
  send_seed: { kind: "bool", default: true },
  send_size: { kind: "bool", default: true },
  enable_reloading_ui_scripts: { kind: "bool", default: false },
  // modules/shared_options.py: section infotext "Infotext"
  enable_pnginfo: { kind: "bool", default: true },
  save_txt: { kind: "bool", default: false },
  add_model_name_to_info: { kind: "bool", default: true },
  add_model_hash_to_info: { kind: "bool", default: true },
  add_vae_name_to_info: { kind: "bool", default: true },
  add_vae_hash_to_info: { kind: "bool", default: true },
  add_user_name_to_info: { kind: "bool", default: false },
  add_version_to_infotext: { kind: "bool", default: true },
  disable_weights_auto_swap: { kind: "bool", default: true },
  infotext_skip_pasting: { kind: "str-list", default: [], ui: "multiselect" },
  infotext_styles: { kind: "str", default: "Apply if any", choices: ["Ignore", "Apply", "Discard", "Apply if any"], ui: "radio" },
  // modules/shared_options.py: section ui "Live previews"
  show_progressbar: { kind: "bool", default: true },
  live_previews_enable: { kind: "bool", default: true },
  live_previews_image_format: { kind: "str", default: "png", choices: ["jpeg", "png", "webp"], ui: "radio" },
  show_progress_grid: { kind: "bool", default: true },
  show_progress_every_n_steps: { kind: "int", default: 10, min: -1, max: 32, ui: "slider" },
  show_progress_type: { kind: "str", default: "Approx NN", choices: ["Full", "Approx NN", "Approx cheap", "TAESD"], ui: "radio" },
  live_preview_allow_lowvram_full: { kind: "bool", default: false },
  live_preview_content: { kind: "str", default: "Prompt", choices: ["Combined", "Prompt", "Negative prompt"], ui: "radio" },
  live_preview_refresh_period: { kind: "int", default: 1000 },
  live_preview_fast_interrupt: { kind: "bool", default: false },
  js_live_preview_in_modal_lightbox: { kind: "bool", default: false },
  prevent_screen_sleep_during_generation: { kind: "bool", default: true },
  // modules/shared_options.py: section sampler-params "Sampler parameters"
  hide_samplers: { kind: "str-list", default: [], ui: "checkboxgroup" },
  eta_ddim: { kind: "float", default: 0, min: 0, max: 1, ui: "slider" },
  eta_ancestral: { kind: "float", default: 1, min: 0, max: 1, ui: "slider" },
  ddim_discretize: { kind: "str", default: "uniform", choices: ["uniform", "quad"], ui: "radio" },
  s_churn: { kind: "float", default: 0, min: 0, max: 100, ui: "slider" },
  s_tmin: { kind: "float", default: 0, min: 0, max: 10, ui: "slider" },
  s_tmax: { kind: "float", default: 0, min: 0, max: 999, ui: "slider" },
  s_noise: { kind: "float", default: 1, min: 0, max: 1.1, ui: "slider" },
  sigma_min: { kind: "float", default: 0, ui: "number" },
  sigma_max: { kind: "float", default: 0, ui: "number" },
  rho: { kind: "float", default: 0, ui: "number" },
  eta_noise_seed_delta: { kind: "int", default: 0, ui: "number" },
  always_discard_next_to_last_sigma: { kind: "bool", default: false },
  sgm_noise_multiplier: { kind: "bool", default: false },
  uni_pc_variant: { kind: "str", default: "bh1", choices: ["bh1", "bh2", "vary_coeff"], ui: "radio" },
  uni_pc_skip_type: { kind: "str", default: "time_uniform", choices: ["time_uniform", "time_quadratic", "logSNR"], ui: "radio" },
  uni_pc_order: { kind: "int", default: 3, min: 1, max: 50, ui: "slider" },
  uni_pc_lower_order_final: { kind: "bool", default: true },
  sd_noise_schedule: { kind: "str", default: "Default", choices: ["Default", "Zero Terminal SNR"], ui: "radio" },
  skip_early_cond: { kind: "float", default: 0, min: 0, max: 1, ui: "slider" },
  beta_dist_alpha: { kind: "float", default: 0.6, min: 0.01, max: 1, ui: "slider" },
  beta_dist_beta: { kind: "float", default: 0.6, min: 0.01, max: 1, ui: "slider" },
  // modules/shared_options.py: section postprocessing "Postprocessing"
  postprocessing_enable_in_main_ui: { kind: "str-list", default: [], ui: "multiselect" },
  postprocessing_disable_in_extras: { kind: "str-list", default: [], ui: "multiselect" },
  postprocessing_operation_order: { kind: "str-list", default: [], ui: "multiselect" },
  upscaling_max_images_in_cache: { kind: "int", default: 5, min: 0, max: 10, ui: "slider" },
  postprocessing_existing_caption_action: { kind: "str", default: "Ignore", choices: ["Ignore", "Keep", "Prepend", "Append"], ui: "radio" },
  // modules/shared_options.py: section None "Hidden options"
  disabled_extensions: { kind: "str-list", default: [] },
  disable_all_extensions: { kind: "str", default: "none", choices: ["none", "extra", "all"], ui: "radio" },
  restore_config_state_file: { kind: "str", default: "" },
  sd_checkpoint_hash: { kind: "str", default: "" },
  // modules/processing_scripts/comments.py: section sd "Stable Diffusion"
  enable_prompt_comments: { kind: "bool", default: true },
  // extensions-builtin/Lora/scripts/lora_script.py: section extra_networks "Extra Networks"
  sd_lora: { kind: "str", default: "None", ui: "dropdown" },
  lora_preferred_name: { kind: "str", default: "Alias from file", choices: ["Alias from file", "Filename"], ui: "radio" },
  lora_add_hashes_to_infotext: { kind: "bool", default: true },
  lora_bundled_ti_to_infotext: { kind: "bool", default: true },
  lora_show_all: { kind: "bool", default: false },
  lora_hide_unknown_for_versions: { kind: "str-list", default: [], choices: ["SD1", "SD2", "SDXL"], ui: "checkboxgroup" },
  lora_in_memory_limit: { kind: "int", default: 0, ui: "number" },
  lora_not_found_warning_console: { kind: "bool", default: false },
  lora_not_found_gradio_warning: { kind: "bool", default: false },
  // extensions-builtin/Lora/scripts/lora_script.py: section compatibility "Compatibility"
  lora_functional: { kind: "bool", default: false },
  // extensions-builtin/canvas-zoom-and-pan/scripts/hotkey_config.py: section canvas_hotkey "Canvas Hotkeys"
  canvas_hotkey_zoom: { kind: "str", default: "Alt", choices: ["Shift", "Ctrl", "Alt"], ui: "radio" },
  canvas_hotkey_adjust: { kind: "str", default: "Ctrl", choices: ["Shift", "Ctrl", "Alt"], ui: "radio" },
  canvas_hotkey_shrink_brush: { kind: "str", default: "Q" },
  canvas_hotkey_grow_brush: { kind: "str", default: "W" },
  canvas_hotkey_move: { kind: "str", default: "F" },
  canvas_hotkey_fullscreen: { kind: "str", default: "S" },
  canvas_hotkey_reset: { kind: "str", default: "R" },
  canvas_hotkey_overlap: { kind: "str", default: "O" },
  canvas_show_tooltip: { kind: "bool", default: true },
  canvas_auto_expand: { kind: "bool", default: true },
  canvas_blur_prompt: { kind: "bool", default: false },
  canvas_disabled_functions: { kind: "str-list", default: ["Overlap"], choices: ["Zoom", "Adjust brush size", "Hotkey enlarge brush", "Hotkey shrink brush", "Moving canvas", "Fullscreen", "Reset Zoom", "Overlap"], ui: "checkboxgroup" },
  // extensions-builtin/extra-options-section/scripts/extra_options_section.py: section settings_in_ui "Settings in UI"
  extra_options_txt2img: { kind: "str-list", default: [], ui: "multiselect" },
  extra_options_img2img: { kind: "str-list", default: [], ui: "multiselect" },
  extra_options_cols: { kind: "int", default: 1, min: 1, max: 20, ui: "slider" },
  extra_options_accordion: { kind: "bool", default: false },
  // extensions-builtin/hypertile/scripts/hypertile_script.py: section hypertile "Hypertile"
  hypertile_enable_unet: { kind: "bool", default: false },
  hypertile_enable_unet_secondpass: { kind: "bool", default: false },
  hypertile_max_depth_unet: { kind: "int", default: 3, min: 0, max: 3, ui: "slider" },
  hypertile_max_tile_unet: { kind: "int", default: 256, min: 0, max: 512, ui: "slider" },
  hypertile_swap_size_unet: { kind: "int", default: 3, min: 0, max: 64, ui: "slider" },
  hypertile_enable_vae: { kind: "bool", default: false },
  hypertile_max_depth_vae: { kind: "int", default: 3, min: 0, max: 3, ui: "slider" },
  hypertile_max_tile_vae: { kind: "int", default: 128, min: 0, max: 512, ui: "slider" },
  hypertile_swap_size_vae: { kind: "int", default: 3, min: 0, max: 64, ui: "slider" },
  // extensions-builtin/LDSR/scripts/ldsr_model.py: section upscaling "Upscaling"
  ldsr_steps: { kind: "int", default: 100, min: 1, max: 200, ui: "slider" },
  ldsr_cached: { kind: "bool", default: false, ui: "checkbox" },
  // extensions-builtin/ScuNET/scripts/scunet_model.py: section upscaling "Upscaling"
  SCUNET_tile: { kind: "int", default: 256, min: 0, max: 512, ui: "slider" },
  SCUNET_tile_overlap: { kind: "int", default: 8, min: 0, max: 64, ui: "slider" },
  // extensions-builtin/SwinIR/scripts/swinir_model.py: section upscaling "Upscaling"
  SWIN_tile: { kind: "int", default: 192, min: 16, max: 512, ui: "slider" },
  SWIN_tile_overlap: { kind: "int", default: 8, min: 0, max: 48, ui: "slider" },
  SWIN_torch_compile: { kind: "bool", default: false, ui: "checkbox" },
} as const satisfies Record<string, A1111OptionSpec>;

export type A1111OptionKey = keyof typeof A1111_OPTIONS;

/** `OptionHTML` entries: registered for the settings page but never stored, so never returned by the API. */
export const A1111_UNSTORED_OPTIONS = [
  "profiling_explanation",
  "sd_vae_explanation",
  "infotext_explanation",
  "settings_in_ui",
  "hypertile_explanation",
] as const;
